using Confab.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace Confab.Api;

/// <summary>
/// A request that meets a database that cannot answer or write (read-only, disk full, busy, unreachable) gets
/// 503 with <c>Retry-After</c> and problem details, never a 500: nothing was saved, and the client may retry
/// (with its <c>client_id</c>, safely). Logged once, without the request's content.
/// </summary>
internal sealed partial class StorageFailures(IProblemDetailsService problems, ILogger<StorageFailures> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not StorageException { Kind: StorageErrorKind.Unavailable } failure)
        {
            return false;
        }

        LogUnavailable(logger, failure.Code, context.Request.Method, context.Request.Path);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is unavailable.",
                Detail = "Nothing was saved. Please retry.",
            },
        });
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "The database is unavailable (code {Code}); {Method} {Path} answered 503.")]
    private static partial void LogUnavailable(ILogger logger, string? code, string method, PathString path);
}
