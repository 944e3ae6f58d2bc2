using Confab.Web.Chat;
using Microsoft.AspNetCore.Components.WebAssembly.Hosting;

// The room page in the browser: it reaches the room over the Phoenix socket and the HTTP API of the server it came from.
var builder = WebAssemblyHostBuilder.CreateDefault(args);
var server = new Uri(builder.HostEnvironment.BaseAddress);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<IRoomLinks>(_ => new SocketRoomLinks(server, new HttpClient { BaseAddress = server }, TimeProvider.System));
await builder.Build().RunAsync();
