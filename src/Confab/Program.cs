using Confab.Accounts;
using Confab.Api;
using Confab.Messages;
using Confab.Realtime;
using Confab.Rooms;
using Confab.Storage;

var builder = WebApplication.CreateBuilder(args);
builder.UseContainerPort();

builder.Services.AddStorage();
builder.Services.AddAccounts();
builder.Services.AddRooms();
builder.Services.AddMessages();
builder.Services.AddRealtime(builder.Configuration);
builder.Services.AddApi();

var app = builder.Build();

app.UseApi();
app.MapHealth();
app.MapAccounts();
app.MapRooms();
app.MapMessages();
app.MapRealtime();

app.Run();

/// <summary>The entry point, visible to the test host.</summary>
public partial class Program;
