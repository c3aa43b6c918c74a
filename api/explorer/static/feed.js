// The home page's live feed: blocks (and their event counts) as /v1/stream sends them; the
// tip and the recent blocks table follow them (a block replaces any row at or above its
// height, so a reorg's new branch takes the old one's place). EventSource reconnects by
// itself, resuming from the last block's id (Last-Event-ID).
"use strict";

const MAX_ITEMS = 30;
const MAX_ROWS = 15;

function short(text) {
  return text.length <= 18 ? text : `${text.slice(0, 10)}…${text.slice(-6)}`;
}

function cell(text, href, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  const inner = document.createElement(href ? "a" : "span");
  if (href) inner.href = href;
  if (text.length === 64) {
    inner.className = "mono";
    inner.title = text;
    inner.textContent = short(text);
  } else {
    inner.textContent = text;
  }
  td.append(inner);
  return td;
}

function showTip(block) {
  const height = document.getElementById("tip-height");
  if (height) {
    height.href = `/blocks/${block.height}`;
    height.textContent = block.height.toLocaleString("en");
    document.getElementById("tip-hash").textContent = block.hash;
    document.getElementById("tip-state-hash").textContent = block.state_hash;
  }
  const body = document.querySelector("#recent-blocks tbody");
  if (!body) return;
  for (const row of Array.from(body.rows)) {
    if (row.classList.contains("none-yet") || Number(row.dataset.height) >= block.height) {
      row.remove();
    }
  }
  const row = document.createElement("tr");
  row.dataset.height = String(block.height);
  row.append(
    cell(block.height.toLocaleString("en"), `/blocks/${block.height}`),
    cell(block.hash, `/blocks/${block.hash}`),
    cell(block.event_count.toLocaleString("en"), null, "num"),
    cell(block.state_hash),
    cell(block.state_root),
  );
  body.prepend(row);
  while (body.rows.length > MAX_ROWS) body.lastElementChild.remove();
}

function blockItem(block) {
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
  return item;
}

function reorgItem(notice) {
  const item = document.createElement("li");
  item.className = "feed-reorg";
  const { from, to } = notice.rolled_back;
  item.textContent = `reorg: ${from === to ? `block ${from}` : `blocks ${from}–${to}`} rolled back`;
  return item;
}

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
  // Streams are a shared, capped resource (api_max_streams): a hidden tab gives its stream
  // back and resumes from the last block it was sent when shown again, missing nothing.
  let source = null;
  // The tip this page was rendered at: blocks after it are sent, none is missed.
  let cursor = feed.dataset.cursor || "";
  const connect = () => {
    setState("connecting", "connecting");
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
    source = new EventSource(feed.dataset.stream + query);
    source.addEventListener("hello", () => setState("live", "live"));
    source.addEventListener("block", (message) => {
      const block = JSON.parse(message.data);
      cursor = message.lastEventId || cursor;
      add(blockItem(block));
      showTip(block);
    });
    source.addEventListener("reorg", (message) => add(reorgItem(JSON.parse(message.data))));
    source.addEventListener("error", () => {
      // A refusal (503 when the server holds its limit of streams) closes for good.
      if (source.readyState === EventSource.CLOSED) {
        setState("off", "unavailable: reload to retry");
      } else {
        setState("connecting", "reconnecting");
      }
    });
  };
  const disconnect = () => {
    if (source) source.close();
    source = null;
  };
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      disconnect();
      setState("paused", "paused");
    } else if (!source) {
      connect();
    }
  });
  window.addEventListener("pagehide", disconnect);
  connect();
}

start();
