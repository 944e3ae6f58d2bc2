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

// On a phone the sidebar is a drawer: the top bar's button opens and closes it, and following a link in it closes it.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-drawer-toggle]");
  const open = toggle ? !document.body.classList.contains("drawer-open") : false;
  if (!toggle && !event.target.closest(".sidebar a")) {
    return;
  }

  document.body.classList.toggle("drawer-open", open);
  for (const button of document.querySelectorAll("[data-drawer-toggle]")) {
    button.setAttribute("aria-expanded", String(open));
  }
});
