namespace Confab.Tests.Infrastructure;

/// <summary>Every await in a test has a timeout: <c>await store.ListRoomsAsync().Within();</c></summary>
public static class Timeouts
{
    public const double DefaultSeconds = 30;

    public static Task Within(this Task task, double seconds = DefaultSeconds) => task.WaitAsync(TimeSpan.FromSeconds(seconds));

    public static Task<T> Within<T>(this Task<T> task, double seconds = DefaultSeconds) => task.WaitAsync(TimeSpan.FromSeconds(seconds));

    public static Task<T> Within<T>(this ValueTask<T> task, double seconds = DefaultSeconds) => task.AsTask().WaitAsync(TimeSpan.FromSeconds(seconds));
}
