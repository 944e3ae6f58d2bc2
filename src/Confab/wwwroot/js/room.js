// The room page's browser side: Enter to send, staying at the newest message unless the reader scrolled up
// (then a "new messages" marker), loading older messages when the reader reaches the top, the buttons of listed
// messages (markup: a click on one goes to the page's Act), Enter and Escape in a message being edited, and bringing
// a replied-to message into view, @ completion of members' names, and telling the page when the tab is shown or
// hidden (a hidden tab marks nothing read). Scrolling follows the list as it changes (onListChanged): the server renders and
// never has to ask.
let list;
let marker;
let page;
let composer;
let pinned = true;
let loading = false;
let loadAttempt = 0;
let loadFailures = 0;
let heightBeforePrepend = 0;
let newestSeq = 0;
let oldestSeq = 0;

export function init(dotnet) {
  list = document.querySelector(".messages");
  composer = document.getElementById("composer-input");
  const form = composer.form;
  page = dotnet;
  marker = document.getElementById("new-messages");

  composer.addEventListener("keydown", (event) => {
    if (mentions.onKey(event)) {
      return;
    }

    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === "Escape") {
      document.getElementById("cancel-reply")?.click();
    }
  });
  list.addEventListener("click", onAction);
  list.addEventListener("focusin", rememberFocus);
  new MutationObserver(onListChanged).observe(list, { childList: true, subtree: true });
  // The reply bar came or went, the window was resized: the newest message stays in view.
  new ResizeObserver(() => pinned && scrollToNewest()).observe(list);
  list.addEventListener("keydown", onEditKey);
  list.addEventListener("input", (event) => {
    if (event.target.matches(".edit-input")) autosize(event.target);
  });
  list.addEventListener("focusout", closePickerLeft);
  composer.addEventListener("input", () => {
    autosize(composer);
    mentions.update();
  });
  composer.addEventListener("blur", () => setTimeout(() => mentions.close(), 150));
  document.addEventListener("visibilitychange", () => page.invokeMethodAsync("Visible", isVisible()).catch(() => {}));
  marker.addEventListener("click", () => {
    scrollToNewest();
    composer.focus();
  });
  list.addEventListener("scroll", onScroll, { passive: true });
  [oldestSeq, newestSeq] = [seqOf(list.querySelector(".message")), seqOf(list.lastElementChild)];
  scrollToNewest();
  fillViewport();
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

// The server rendered a change to the list: new messages at the bottom (follow them if the reader is at the newest or
// sent one, else show the marker), an older page at the top (keep the reader's place), or a message that changed
// (stay at the newest if there).
function onListChanged() {
  keepFocus();
  const oldest = seqOf(list.querySelector(".message"));
  const newestElement = list.lastElementChild;
  const newest = seqOf(newestElement);
  if (loading && oldest < oldestSeq) {
    list.scrollTop += list.scrollHeight - heightBeforePrepend;
    loading = false;
    fillViewport();
  } else if (newest > newestSeq) {
    // Only the author's own messages have an edit button.
    const mine = newestElement.querySelector('[data-action="edit"]') !== null;
    if (pinned || mine) scrollToNewest();
    else marker.hidden = false;
    if (composer.value === "") autosize(composer);
  } else if (pinned) {
    scrollToNewest();
  }
  [oldestSeq, newestSeq] = [oldest, newest];
}

// The seq of a listed message (its element or the one wrapping it); 0 for anything else.
function seqOf(element) {
  const message = element?.matches(".message") ? element : element?.querySelector(".message");
  return Number(message?.dataset.seq ?? 0);
}

/** Whether the reader can see the page. */
export function isVisible() {
  return document.visibilityState === "visible";
}

// @ completion: while the word before the caret is @ and a few letters, the members whose names start with them, in a
// list under the composer; arrows choose, Enter or Tab completes, Escape closes. The names come from the page
// (MemberNames), asked again after a minute.
const mentions = (() => {
  let box = null;
  let names = null;
  let namesAt = 0;
  let matches = [];
  let active = 0;

  async function memberNames() {
    if (names === null || Date.now() - namesAt > 60000) {
      names = await page.invokeMethodAsync("MemberNames");
      namesAt = Date.now();
    }

    return names;
  }

  function typed() {
    const match = /(?:^|[^\w.@-])@([A-Za-z0-9_-]{0,32})$/.exec(composer.value.slice(0, composer.selectionStart));
    return match ? match[1] : null;
  }

  async function update() {
    const prefix = typed();
    if (prefix === null) {
      close();
      return;
    }

    const all = await memberNames();
    if (typed() !== prefix) return; // the reader typed on meanwhile
    matches = all.filter((name) => name.toLowerCase().startsWith(prefix.toLowerCase())).slice(0, 8);
    active = 0;
    if (matches.length === 0 || (matches.length === 1 && matches[0] === prefix)) {
      close();
      return;
    }

    render();
  }

  function render() {
    if (!box) {
      box = document.createElement("ul");
      box.id = "mention-list";
      box.className = "mention-list";
      box.setAttribute("role", "listbox");
      box.setAttribute("aria-label", "Members");
      box.addEventListener("mousedown", (event) => {
        const option = event.target.closest("[role=option]");
        if (option) {
          event.preventDefault();
          choose(option.dataset.name);
        }
      });
      document.body.append(box);
      composer.setAttribute("aria-controls", box.id);
      composer.setAttribute("aria-autocomplete", "list");
    }

    box.replaceChildren(...matches.map((name, i) => {
      const option = document.createElement("li");
      option.id = `mention-option-${i}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", String(i === active));
      option.dataset.name = name;
      option.textContent = "@" + name;
      return option;
    }));
    const rect = composer.getBoundingClientRect();
    box.style.left = `${rect.left}px`;
    box.style.bottom = `${window.innerHeight - rect.top + 4}px`;
    box.hidden = false;
    composer.setAttribute("aria-expanded", "true");
    composer.setAttribute("aria-activedescendant", `mention-option-${active}`);
  }

  function choose(name) {
    const caret = composer.selectionStart;
    const before = composer.value.slice(0, caret).replace(/@[A-Za-z0-9_-]*$/, `@${name} `);
    composer.value = before + composer.value.slice(caret);
    composer.setSelectionRange(before.length, before.length);
    close();
    // The page keeps its draft from input events.
    composer.dispatchEvent(new Event("input", { bubbles: true }));
    composer.focus();
  }

  function close() {
    if (box && !box.hidden) {
      box.hidden = true;
      composer.setAttribute("aria-expanded", "false");
      composer.removeAttribute("aria-activedescendant");
    }
  }

  function onKey(event) {
    if (!box || box.hidden) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      active = (active + (event.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
      render();
    } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
      choose(matches[active]);
    } else if (event.key === "Escape") {
      close();
    } else {
      return false;
    }

    event.preventDefault();
    return true;
  }

  return { update, close, onKey };
})();

/** A reply was started: the composer takes the reader's text. */
export function focusComposer() {
  composer.focus();
}

/** A message's editor opened: focus it with the caret at the end. */
export function editing(textarea) {
  autosize(textarea);
  textarea.focus();
  textarea.setSelectionRange(textarea.value.length, textarea.value.length);
}

/** A picker opened: all of it in view, its first choice focused. */
export function focusFirst(container) {
  container.scrollIntoView({ block: "nearest" });
  container.querySelector("button")?.focus({ preventScroll: true });
}

/** Brings a message into view, marks it for a moment, and gives it focus (its actions then show). */
export function reveal(seq) {
  const target = list.querySelector(`.message[data-seq="${seq}"]`);
  if (!target) return;
  // The reader is looking back now: what changes next must not pull the list to the newest (the scroll event that
  // would say so comes a frame later).
  setPinned(false);
  target.scrollIntoView({ block: "center" });
  target.classList.remove("flash");
  void target.offsetWidth; // restart the animation when shown twice
  target.classList.add("flash");
  setTimeout(() => target.classList.remove("flash"), 2000);
  target.focus({ preventScroll: true });
}

/** A message is markup again: focus goes back to it, or to the button `selector` finds in it (if still there). */
export function focusIn(seq, selector) {
  const message = list.querySelector(`.message[data-seq="${seq}"]`);
  if (!message) return;
  // Its actions show once it has focus, and only shown can one of them take it.
  message.focus({ preventScroll: true });
  if (selector) message.querySelector(selector)?.focus({ preventScroll: true });
}

// A listed message is one piece of markup: when it changes (a reaction, an edit, someone else's), its buttons are new
// elements, and the one that had focus is gone. Focus goes to its successor (same message, same action and emoji), or
// to the message.
let focused = null;

function rememberFocus(event) {
  const message = event.target.closest(".message");
  focused = message && {
    element: event.target,
    seq: message.dataset.seq,
    action: event.target.dataset?.action,
    emoji: event.target.dataset?.emoji,
  };
}

function keepFocus() {
  if (!focused || focused.element.isConnected || (document.activeElement && document.activeElement !== document.body)) return;
  const message = list.querySelector(`.message[data-seq="${focused.seq}"]`);
  if (!message) return;
  const selector = focused.action && `[data-action="${focused.action}"]` + (focused.emoji ? `[data-emoji="${CSS.escape(focused.emoji)}"]` : "");
  const successor = selector ? message.querySelector(selector) : null;
  message.focus({ preventScroll: true });
  successor?.focus({ preventScroll: true });
}

// A button of a listed message (data-action, and data-emoji on a reaction): the page does what it names.
function onAction(event) {
  const button = event.target.closest("[data-action]");
  const message = button?.closest(".message");
  if (!message || !list.contains(message)) return;
  page.invokeMethodAsync("Act", Number(message.dataset.seq), button.dataset.action, button.dataset.emoji ?? null);
}

// In a message being edited: Enter saves, Shift+Enter is a new line, Escape cancels.
function onEditKey(event) {
  if (!event.target.matches(".edit-input") || event.isComposing) return;
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    event.target.form.requestSubmit();
  } else if (event.key === "Escape") {
    event.preventDefault();
    event.target.form.querySelector("[data-cancel-edit]").click();
  }
}

// An emoji picker closes when focus leaves its message (its toggle closes it, as a click on it would).
function closePickerLeft(event) {
  const message = event.target.closest(".message");
  if (message && !message.contains(event.relatedTarget)) {
    message.querySelector(".message-actions [aria-expanded=true]")?.click();
  }
}

function onScroll() {
  setPinned(list.scrollHeight - list.scrollTop - list.clientHeight < 48);
  if (pinned) marker.hidden = true;
  if (list.scrollTop < 120) loadOlder();
}

async function loadOlder() {
  if (loading) return;
  loading = true;
  heightBeforePrepend = list.scrollHeight;
  const attempt = ++loadAttempt;
  let more;
  try {
    more = await page.invokeMethodAsync("LoadOlder");
    loadFailures = 0;
  } catch {
    // The page could not be read (the server or its database had a moment): a reader left at the top, who may not
    // scroll again, gets it on a later try (1 s, 2 s, 4 s... at most 30 s apart).
    setTimeout(() => settleLoad(attempt, true), Math.min(30000, 1000 * 2 ** loadFailures++));
    return;
  }
  // An older page normally renders, and onListChanged lets go. Nothing older came (the last page), or a page rendered
  // nothing new: let go once it had the time to render, so that the top of the list never stops loading.
  setTimeout(() => settleLoad(attempt, more), more ? 2000 : 250);
}

function settleLoad(attempt, again) {
  if (!loading || attempt !== loadAttempt) return;
  loading = false;
  if (again && list.scrollTop < 120) loadOlder();
}

// A short history that does not fill the list cannot be scrolled: load more until it does.
function fillViewport() {
  if (list.scrollHeight <= list.clientHeight + 8) loadOlder();
}

function scrollToNewest() {
  list.scrollTop = list.scrollHeight;
  setPinned(true);
  marker.hidden = true;
}

// Back at the newest: the page lets the older pages it loaded go (it keeps a window of the newest).
function setPinned(value) {
  if (value && !pinned) page.invokeMethodAsync("AtNewest").catch(() => {});
  pinned = value;
}

function autosize(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = Math.min(textarea.scrollHeight, 200) + "px";
}
