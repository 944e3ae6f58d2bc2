using System.Runtime.InteropServices;

namespace Confab.Messages;

/// <summary>
/// Raises the calling thread's scheduling priority on Linux (nice -5) where the process may (root, or CAP_SYS_NICE);
/// elsewhere, and in a container without that capability, nothing changes.
/// </summary>
internal static class WriterPriority
{
    private const int PrioProcess = 0;
    private const int Nice = -5;

    public static bool TryRaise()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return SetPriority(PrioProcess, GetThreadId(), Nice) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "setpriority")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "gettid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetThreadId();
}
