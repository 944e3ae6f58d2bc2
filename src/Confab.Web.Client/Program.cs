using Confab.Web.Chat;
using Microsoft.AspNetCore.Components.WebAssembly.Hosting;

// The room page and the sidebar in the browser: they reach the server they came from over its Phoenix socket and HTTP API.
var builder = WebAssemblyHostBuilder.CreateDefault(args);
var server = new Uri(builder.HostEnvironment.BaseAddress);
builder.Services.AddSingleton(TimeProvider.System);
var http = new HttpClient { BaseAddress = server };
builder.Services.AddSingleton<IRoomLinks>(_ => new SocketRoomLinks(server, http, TimeProvider.System));
builder.Services.AddSingleton<IUserLinks>(_ => new SocketUserLinks(server, http));
await builder.Build().RunAsync();
