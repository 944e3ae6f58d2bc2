// The room page's browser side: Enter to send, staying at the newest message unless the reader scrolled up
// (then a "new messages" marker), and loading older messages when the reader reaches the top.
let list;
let marker;
let page;
let pinned = true;
let loading = false;
let heightBeforePrepend = 0;

export function init(messages, composer, form, dotnet) {
  list = messages;
  page = dotnet;
  marker = document.getElementById("new-messages");

  composer.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  composer.addEventListener("input", () => autosize(composer));
  marker.addEventListener("click", () => {
    scrollToNewest();
    composer.focus();
  });
  list.addEventListener("scroll", onScroll, { passive: true });
  scrollToNewest();
  fillViewport();
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** New messages were rendered at the bottom. */
export function appended(mine) {
  if (pinned || mine) {
    scrollToNewest();
  } else {
    marker.hidden = false;
  }
  const composer = document.getElementById("composer-input");
  if (composer && composer.value === "") autosize(composer);
}

/** Older messages were rendered at the top: keep the reader's place. */
export function prepended() {
  list.scrollTop += list.scrollHeight - heightBeforePrepend;
  loading = false;
  fillViewport();
}

function onScroll() {
  pinned = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
  if (pinned) marker.hidden = true;
  if (list.scrollTop < 120) loadOlder();
}

async function loadOlder() {
  if (loading) return;
  loading = true;
  heightBeforePrepend = list.scrollHeight;
  try {
    const more = await page.invokeMethodAsync("LoadOlder");
    if (!more) {
      // Nothing was rendered, or the last page came: allow the next attempt once this one settles.
      setTimeout(() => (loading = false), 250);
    }
  } catch {
    loading = false;
  }
}

// A short history that does not fill the list cannot be scrolled: load more until it does.
function fillViewport() {
  if (list.scrollHeight <= list.clientHeight + 8) loadOlder();
}

function scrollToNewest() {
  list.scrollTop = list.scrollHeight;
  pinned = true;
  marker.hidden = true;
}

function autosize(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = Math.min(textarea.scrollHeight, 200) + "px";
}
