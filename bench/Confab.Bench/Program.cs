using Confab.Bench;

// dotnet run -c Release --project bench/Confab.Bench -- messagelog [--senders 20] [--seconds 10]
return args.FirstOrDefault() switch
{
    "messagelog" => await MessageLogBenchmark.RunAsync(BenchArgs.Parse(args.Skip(1))),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Confab.Bench messagelog [--senders N] [--seconds S]");
    return 2;
}
