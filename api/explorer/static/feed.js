// The home page's live feed: blocks (and their event counts) as /v1/stream sends them.
// EventSource reconnects by itself, resuming from the last block's id (Last-Event-ID).
"use strict";

const MAX_ITEMS = 30;

function start() {
  const feed = document.getElementById("feed");
  const items = document.getElementById("feed-items");
  const badge = document.getElementById("feed-status");
  if (!feed || !items || !badge || !window.EventSource) return;
  const setState = (state, text) => {
    badge.dataset.state = state;
    badge.textContent = text;
  };
  const add = (node) => {
    items.prepend(node);
    while (items.children.length > MAX_ITEMS) items.lastElementChild.remove();
  };
  let events = 0;
  setState("connecting", "connecting");
  const source = new EventSource(feed.dataset.stream);
  source.addEventListener("hello", () => setState("live", "live"));
  source.addEventListener("event", () => {
    events += 1;
  });
  source.addEventListener("block", (message) => {
    const block = JSON.parse(message.data);
    const item = document.createElement("li");
    item.className = "feed-block";
    item.dataset.height = String(block.height);
    item.dataset.hash = block.hash;
    const link = document.createElement("a");
    link.href = `/blocks/${block.height}`;
    link.textContent = `block ${block.height.toLocaleString("en")}`;
    const hash = document.createElement("span");
    hash.className = "mono";
    hash.textContent = ` ${block.hash}`;
    const count = document.createElement("span");
    count.textContent = ` · ${block.event_count} events · root ${block.state_root.slice(0, 16)}…`;
    item.append(link, hash, count);
    add(item);
    events = 0;
  });
  source.addEventListener("reorg", (message) => {
    const notice = JSON.parse(message.data);
    const item = document.createElement("li");
    item.className = "feed-reorg";
    item.textContent = `reorg: blocks ${notice.rolled_back.from}–${notice.rolled_back.to} rolled back`;
    add(item);
  });
  source.addEventListener("error", () => {
    setState(source.readyState === EventSource.CLOSED ? "off" : "connecting", "reconnecting");
  });
  window.addEventListener("pagehide", () => source.close());
}

start();
