// The explorer's router: a view per path under /explorer, links followed without reloading,
// and the indexer's head polled once a second so live views refresh when a block arrives.
import { getJson } from "./api.js";
import { fill, h } from "./dom.js";
import * as audit from "./views/audit.js";
import * as chart from "./views/chart.js";
import * as content from "./views/content.js";
import * as record from "./views/record.js";
import * as validator from "./views/validator.js";

const ADDRESS = "(0x[0-9a-fA-F]{40})";
const ROUTES = [
  [/^\/explorer\/?$/, audit],
  [new RegExp(`^/explorer/record/${ADDRESS}/(\\d{1,20})/(\\d{1,4})$`), record],
  [new RegExp(`^/explorer/validator/${ADDRESS}$`), validator],
  [/^\/explorer\/content\/([A-Za-z0-9]{1,256})$/, content],
  [/^\/explorer\/chart$/, chart],
];
const HEAD_POLL_MS = 1000;

const main = document.getElementById("main");
const headLine = document.getElementById("head");
let latestHead = { number: 0, timestamp: Math.floor(Date.now() / 1000) };
let current = { controller: new AbortController(), view: {} };
let refreshing = false;

function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  void show({ focus: true });
}

async function show({ focus = false } = {}) {
  current.controller.abort();
  const controller = new AbortController();
  current = { controller, view: {} };
  const route = ROUTES.map(([pattern, view]) => [pattern.exec(location.pathname), view]).find(([match]) => match);
  document.body.dataset.state = "loading";
  try {
    if (!route) throw Object.assign(new Error("No such view."), { code: "not_found" });
    const [match, view] = route;
    current.view = (await view.render(main, {
      params: match.slice(1),
      query: new URLSearchParams(location.search),
      signal: controller.signal,
      navigate,
      head: () => latestHead,
    })) ?? {};
  } catch (error) {
    if (controller.signal.aborted) return;
    fill(
      main,
      h("h1", { tabindex: "-1" }, "Cannot show this view"),
      h("p", { class: "error", role: "alert" }, error.message, error.code ? ` (${error.code})` : ""),
      h("p", {}, h("a", { href: "/explorer" }, "Back to the audit trail")),
    );
  }
  if (controller.signal.aborted) return;
  document.body.dataset.state = "ready";
  document.title = `${main.querySelector("h1")?.textContent ?? "Explorer"} · dekmesh audit explorer`;
  if (focus) main.querySelector("h1")?.focus();
}

const showHead = (block) => (headLine.textContent = `Indexed to block ${block.number} · ${new Date(block.timestamp * 1000).toISOString().slice(11, 19)} UTC`);

async function pollHead() {
  try {
    const { block } = await getJson("/head");
    showHead(block);
    const moved = block.number !== latestHead.number;
    latestHead = block;
    if (moved && current.view.refresh && !refreshing && document.body.dataset.state === "ready") {
      refreshing = true;
      const { controller } = current;
      await current.view.refresh().catch((error) => {
        if (!controller.signal.aborted) headLine.textContent = `Update failed: ${error.message}`;
      });
      refreshing = false;
    }
  } catch (error) {
    headLine.textContent = `Indexer unreachable: ${error.message}`;
  }
  setTimeout(pollHead, HEAD_POLL_MS);
}

// Links inside the explorer change the view without a reload (new tab and download keep theirs).
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith("/explorer") || url.pathname.startsWith("/explorer/assets/")) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", () => void show({ focus: true }));

try {
  latestHead = (await getJson("/head")).block;
  showHead(latestHead);
} catch {
  // The first view says what is wrong; pollHead keeps trying.
}
await show();
setTimeout(pollHead, HEAD_POLL_MS);
