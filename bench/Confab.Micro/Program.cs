using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Confab.Micro -- --filter '*'          (everything, about 10 minutes)
// dotnet run -c Release --project bench/Confab.Micro -- --filter '*Presence*'
// Time and allocated bytes per operation (MemoryDiagnoser) for the hot paths: frame decode, broadcast encode and
// fan-out, presence diffs, MessageLog group commit. CI builds this project; it does not run it.
var config = DefaultConfig.Instance
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(Confab.Micro.FrameDecodeBenchmarks).Assembly).Run(args, config);
