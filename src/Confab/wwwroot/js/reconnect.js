// Shows a banner while the live connection is lost, and reloads the page when the server no longer knows this
// session (for instance after a restart): the reloaded page shows every message sent in between.
const banner = document.getElementById("components-reconnect-modal");
const text = banner.querySelector(".reconnect-text");
const retryButton = document.getElementById("components-reconnect-button");

banner.addEventListener("components-reconnect-state-changed", (event) => {
  const state = event.detail.state;
  if (state === "show" || state === "retrying") {
    text.textContent = "Connection lost. Reconnecting…";
    retryButton.hidden = true;
    banner.hidden = false;
  } else if (state === "failed") {
    text.textContent = "Connection lost. Still trying…";
    retryButton.hidden = false;
    banner.hidden = false;
    document.addEventListener("visibilitychange", retryWhenVisible);
  } else if (state === "rejected") {
    location.reload();
  } else {
    banner.hidden = true;
  }
});

retryButton.addEventListener("click", retry);

async function retry() {
  document.removeEventListener("visibilitychange", retryWhenVisible);
  try {
    const reconnected = await Blazor.reconnect();
    if (!reconnected) {
      location.reload();
    }
  } catch {
    document.addEventListener("visibilitychange", retryWhenVisible);
  }
}

async function retryWhenVisible() {
  if (document.visibilityState === "visible") {
    await retry();
  }
}
