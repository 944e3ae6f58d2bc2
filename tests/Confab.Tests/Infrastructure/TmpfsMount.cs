using System.Diagnostics;

namespace Confab.Tests.Infrastructure;

/// <summary>
/// A small tmpfs of its own (tests run as root), for database faults: <see cref="FillAsync"/> fills it to the last byte
/// (ENOSPC) and <see cref="Free"/> gives the space back. Disposing unmounts it and removes the folder.
/// </summary>
public sealed class TmpfsMount : IAsyncDisposable
{
    private readonly string filler;

    private TmpfsMount(string path)
    {
        Path = path;
        filler = System.IO.Path.Combine(path, "filler");
    }

    public string Path { get; }

    public static async Task<TmpfsMount> CreateAsync(int megabytes)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "confab-tests", "tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        await RunAsync("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        return new TmpfsMount(path);
    }

    /// <summary>Writes a file until the disk is full (big writes, then page-sized, then single bytes); returns its size.</summary>
    public async Task<long> FillAsync()
    {
        await using var stream = new FileStream(filler, FileMode.Append, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        foreach (var size in new[] { 64 * 1024, 4096, 1 })
        {
            var chunk = new byte[size];
            try
            {
                while (true)
                {
                    await stream.WriteAsync(chunk);
                }
            }
            catch (IOException e)
            {
                // ENOSPC: full at this size, which is the point; try smaller pieces.
                Assert.Contains("space", e.Message, StringComparison.OrdinalIgnoreCase);
            }
        }

        return stream.Length;
    }

    public void Free() => File.Delete(filler);

    public async ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await RunAsync("umount", "-l", Path);
        Directory.Delete(Path, recursive: true);
    }

    private static async Task RunAsync(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}");
    }
}
