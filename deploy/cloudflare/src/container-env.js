// What the .NET server in the container is told: its environment, read by ASP.NET Core configuration when the
// container starts (a changed secret takes effect at the next start).

/** The virtual host the container reaches D1 at (Storage:D1:BaseUrl); the Worker's outbound handler answers it. */
export const D1_HOST = "d1.internal";

export function containerEnv(env) {
  return {
    ASPNETCORE_ENVIRONMENT: "Production",
    PORT: "8080", // Kestrel; ChatServer.defaultPort
    SECRET_KEY_BASE: env.SECRET_KEY_BASE ?? "",
    Storage__Provider: "D1",
    Storage__D1__BaseUrl: `http://${D1_HOST}`,
  };
}
