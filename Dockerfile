# syntax=docker/dockerfile:1
# Confab as a container image: the SDK image builds and publishes, the ASP.NET Core runtime image runs it as a
# non-root user on port 8080. It is the image Cloudflare Containers runs (deploy/cloudflare/wrangler.jsonc), and
# it runs anywhere else too:
#   docker build -t confab .
#   docker run -p 8080:8080 -e SECRET_KEY_BASE="$(openssl rand -base64 48)" -v confab-data:/data confab
# CI has no Docker engine: deploy/docker-build-stage.sh runs this file's build-stage COPY and RUN lines without it
# (test.sh), and the published result is then run the way the runtime stage runs it.

# dotnet-docker publishes only the newest SDK feature band under a tag; global.json accepts 10.0.401 and later.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from the project files alone first, so that this layer is reused until a dependency changes.
# (Keep the build stage to COPY, RUN and WORKDIR lines: deploy/docker-build-stage.sh replays them.)
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Confab/Confab.csproj src/Confab/
COPY src/Confab.Channels/Confab.Channels.csproj src/Confab.Channels/
COPY src/Confab.Channels.Client/Confab.Channels.Client.csproj src/Confab.Channels.Client/
COPY src/Confab.Web.Client/Confab.Web.Client.csproj src/Confab.Web.Client/
RUN dotnet restore src/Confab/Confab.csproj
COPY src/Confab/ src/Confab/
COPY src/Confab.Channels/ src/Confab.Channels/
COPY src/Confab.Channels.Client/ src/Confab.Channels.Client/
COPY src/Confab.Web.Client/ src/Confab.Web.Client/
COPY db/migrations/ db/migrations/
COPY db/postgres/ db/postgres/
RUN dotnet publish src/Confab/Confab.csproj --no-restore -c Release -o /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# curl serves the HEALTHCHECK; /data holds the SQLite file when the image runs without D1.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir /data && chown "$APP_UID" /data
WORKDIR /app
COPY --from=build /app ./
# Listen on every interface on 8080 (PORT wins over ASPNETCORE_HTTP_PORTS; ASPNETCORE_URLS or --urls over both), not on
# the default localhost:4000, which would be unreachable from outside the container.
ENV PORT=8080 \
    ASPNETCORE_HTTP_PORTS=8080 \
    ASPNETCORE_ENVIRONMENT=Production \
    DATABASE_PATH=/data/confab.db
# The runtime image's non-root "app" user (APP_UID is set by the base image).
USER $APP_UID
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${PORT}/healthz" || exit 1
# SIGTERM (docker stop, Cloudflare before a restart) stops the host: sockets close with 1001 so clients reconnect
# and resume, and the message log commits what is queued before the process exits.
ENTRYPOINT ["dotnet", "Confab.dll"]
