// The sidebar's side in the browser: desktop notifications for mentions, once the user allowed them.

/** Whether notifications may be shown: "granted", "denied", "default" (not asked yet) or "unsupported". */
export function init() {
  return "Notification" in window ? Notification.permission : "unsupported";
}

/** Asks the user (on their click); returns the answer. */
export async function enableNotifications() {
  return "Notification" in window ? await Notification.requestPermission() : "unsupported";
}

/** Shows a notification while the tab is hidden (a visible tab shows the mention itself); a click opens the room. */
export function notify(title, body, url) {
  if (document.visibilityState !== "hidden" || !("Notification" in window) || Notification.permission !== "granted") {
    return;
  }

  const notification = new Notification(title, { body, tag: url });
  notification.onclick = () => {
    window.focus();
    location.assign(url);
    notification.close();
  };
}
