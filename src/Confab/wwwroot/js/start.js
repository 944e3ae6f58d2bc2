// Starts Blazor with reconnection that keeps trying at a steady pace (the default backs off to long waits),
// so a room comes back within a second or two of the server.
Blazor.start({
  circuit: {
    reconnectionOptions: {
      maxRetries: 120,
      retryIntervalMilliseconds: (previousAttempts) => (previousAttempts < 10 ? 1000 : 3000),
    },
  },
});
