using Confab.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace Confab.Api;

/// <summary>
/// A database that cannot be reached (or whose answer never came) is a 503 with <c>Retry-After</c>, not a 500: the
/// request was fine, nothing was acknowledged, and the client may send it again (a message with its client_id, safely).
/// </summary>
internal sealed class StorageUnavailableHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not StorageException { Kind: StorageErrorKind.Unavailable })
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is unavailable.",
                Detail = "Nothing was saved. Please retry.",
            },
        });
    }
}
