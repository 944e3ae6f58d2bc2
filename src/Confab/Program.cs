using Confab.Accounts;
using Confab.Api;
using Confab.Cluster;
using Confab.Hosting;
using Confab.Messages;
using Confab.Realtime;
using Confab.Rooms;
using Confab.Storage;
using Confab.Telemetry;
using Confab.Web;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppFolders.ContentRoot(args) });

// A bad setting ends here with one line naming it (and exit code 78), not a stack trace.
return StartupSettings.Run(builder.Configuration, () =>
{
    builder.UseListenAddresses();
    builder.UseSocketCapacity();
    builder.AddTelemetry();

    builder.Services.AddStorage();
    builder.Services.AddAccounts();
    builder.Services.AddRooms();
    builder.Services.AddMessages();
    builder.Services.AddRealtime(builder.Configuration);
    builder.Services.AddCluster();
    builder.Services.AddApi();
    builder.Services.AddWeb();

    var app = builder.Build();
    app.CheckSettings();

    app.UseRealtime();
    app.UseErrorPages();
    app.UseSecurityHeaders();
    app.UseAccounts();
    app.MapHealth();
    app.MapTelemetry();
    app.MapAccounts();
    app.MapRooms();
    app.MapMessages();
    app.MapWeb();

    app.Run();
});

/// <summary>The entry point, visible to the test host.</summary>
public partial class Program;
