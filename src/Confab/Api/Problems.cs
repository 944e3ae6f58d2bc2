namespace Confab.Api;

/// <summary>RFC 9457 problem details with the statuses Confab uses.</summary>
public static class Problems
{
    /// <summary>422 with field errors: <c>{"title": "...", "status": 422, "errors": {"content": ["content can't be blank"]}}</c>.</summary>
    public static IResult Validation(IReadOnlyDictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, statusCode: StatusCodes.Status422UnprocessableEntity, title: "The request is not valid.");

    /// <summary>409 with the fields that clash.</summary>
    public static IResult Conflict(IReadOnlyDictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, statusCode: StatusCodes.Status409Conflict, title: "It already exists.");

    public static IResult NotFound(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.", detail: detail);

    public static IResult Forbidden(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden.", detail: detail);

    /// <summary>422 without field errors: the request is well-formed but cannot be done as things are.</summary>
    public static IResult Unprocessable(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "The request cannot be done.", detail: detail);

    public static IResult Unauthorized(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized.", detail: detail);

    /// <summary>Why a change was not made, as HTTP means it: 404, 403, 422 (with field errors when the input was at fault), 429.</summary>
    public static IResult Refusal(HttpContext context, Messages.ChangeOutcome outcome, string? reason, IReadOnlyDictionary<string, string[]>? errors, TimeSpan retryAfter = default) =>
        outcome switch
        {
            Messages.ChangeOutcome.RateLimited => TooManyRequests(context, reason ?? Messages.MessageActions.RateLimitedReason, retryAfter),
            Messages.ChangeOutcome.Invalid => Validation(errors!),
            Messages.ChangeOutcome.NotFound => NotFound(reason ?? "Not found."),
            Messages.ChangeOutcome.Forbidden => Forbidden(reason ?? "Not allowed."),
            _ => Unprocessable(reason ?? "The change cannot be made."),
        };

    /// <summary>429 with <c>Retry-After</c> (whole seconds) and <c>retry_after_ms</c> in the body.</summary>
    public static IResult TooManyRequests(HttpContext context, string detail, TimeSpan retryAfter)
    {
        context.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too many requests.",
            detail: detail,
            extensions: new Dictionary<string, object?> { ["retry_after_ms"] = (long)Math.Ceiling(retryAfter.TotalMilliseconds) });
    }
}
