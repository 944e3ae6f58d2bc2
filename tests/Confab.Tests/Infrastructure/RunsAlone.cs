namespace Confab.Tests.Infrastructure;

/// <summary>
/// Tests that measure the whole process (managed memory, latency under a fixed load, meters that OpenTelemetry
/// collects by name process-wide) run in this collection, which xunit runs after the others, one test at a time:
/// the frame fuzzer or another app in the same process would otherwise be measured with them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs alone";
}
