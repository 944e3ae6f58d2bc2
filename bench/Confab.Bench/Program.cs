using Confab.Bench;

// dotnet run -c Release --project bench/Confab.Bench -- messagelog [--provider sqlite|d1|both] [--url D1_URL] [--senders 20] [--seconds 10] [--mode group|single|both]
// dotnet run -c Release --project bench/Confab.Bench -- sockets [--count 1000] [--step 250] [--settle 10]
// dotnet run -c Release --project bench/Confab.Bench -- soak [--sockets 2000] [--rooms 20] [--minutes 10] [--chat 20] [--users 50]
// dotnet run -c Release --project bench/Confab.Bench -- web --url http://127.0.0.1:4300 [--sessions 50] [--room-size 50] [--rate 100] [--seconds 60] [--chromium] (web --help)
// bash bench/scenarios/rooms-list.sh (GET /api/rooms for a member of 200 rooms)
// dotnet run -c Release --project bench/Confab.Bench -- fanout --url http://127.0.0.1:4000 [--sockets 1000] [--senders 10] [--rate 20] [--seconds 10] [--server-pid N]
return args.FirstOrDefault() switch
{
    "messagelog" => await MessageLogBenchmark.RunAsync(BenchArgs.Parse(args.Skip(1))),
    "sockets" => await IdleSocketsBenchmark.RunAsync(BenchArgs.Parse(args.Skip(1))),
    "fanout" => await FanoutBenchmark.RunAsync(BenchArgs.Parse(args.Skip(1))),
    "soak" => await SoakBenchmark.RunAsync(BenchArgs.Parse(args.Skip(1))),
    "load-setup" => await LoadBenchmark.SetupAsync(BenchArgs.Parse(args.Skip(1))),
    "load" => await LoadBenchmark.RunAsync(BenchArgs.Parse(args.Skip(1))),
    "web" => await WebBenchmark.RunAsync(BenchArgs.Parse(args.Skip(1))),
    "rooms-list" => await RoomsListBenchmark.RunAsync(BenchArgs.Parse(args.Skip(1))),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Confab.Bench messagelog [--provider sqlite|d1|both] [--url D1_URL] [--senders N] [--seconds S] [--mode group|single|both]");
    Console.Error.WriteLine("       Confab.Bench sockets [--count N] [--step N] [--settle S]");
    Console.Error.WriteLine("       Confab.Bench soak [--sockets N] [--rooms N] [--minutes M] [--chat S] [--users N]");
    Console.Error.WriteLine("       Confab.Bench load-setup (--db PATH | --postgres CONNECTION_STRING) --users N --rooms R [--history MESSAGES_PER_ROOM] [--first-user-in ROOMS]");
    Console.Error.WriteLine("       Confab.Bench rooms-list --url URL (--db PATH | --postgres CONNECTION_STRING) [--requests N]");
    Console.Error.WriteLine("       Confab.Bench load --help");
    Console.Error.WriteLine("       Confab.Bench web --help");
    Console.Error.WriteLine("       Confab.Bench fanout --url URL [--sockets N] [--senders N] [--rate MSGS_PER_S] [--seconds S] [--users N] [--server-pid PID]");
    return 2;
}
