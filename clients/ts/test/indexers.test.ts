// The client against real `rootstate serve` processes (test/fixture.ts): A and B honest, C a
// careful liar with its own root, D a lazy liar whose forged record cannot match the honest
// root. Expected figures come from the history in tests/api/world.py, worked out by hand:
// ALICE holds 700 ROOT (1:1, 2 decimals) on E:1, 500 ISSU (3:1) on D:1 and ISSU's authority
// on D:2; ROOT's supply is 1,900. Height 5 (tests/clients/indexers.py) moves 200 of ALICE's
// ROOT to BOB (output 2), 500 staying on output 1; height 6 is empty.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  ApiError,
  ComposeMismatchError,
  Indexer,
  ProofError,
  RefusedError,
  type StreamMessage,
  Verifier,
  composePublish,
  composeTransfer,
  decodePsbt,
  fromHex,
  outpointKey,
  subscribe,
  toHex,
  verifyProof,
} from "../src/index.js";
import { Indexers, type World } from "./fixture.js";

let indexers: Indexers;
let world: World;
let A: Indexer;

before(async () => {
  indexers = await Indexers.start();
  world = indexers.world;
  A = new Indexer(world.urls.A);
});

after(async () => {
  await indexers?.stop();
});

const verifier = (...names: ("A" | "B" | "C" | "D")[]): Verifier =>
  new Verifier(
    names.map((n) => world.urls[n]),
    { retries: 0 },
  );

test("typed read calls answer what the store holds", async () => {
  const status = await A.status();
  assert.equal(status.network, "regtest");
  assert.equal(status.indexed?.height, 4);
  const block = await A.block(4);
  assert.equal(block.hash, status.indexed?.hash);
  assert.equal((await A.block(block.hash)).height, 4);
  const root = await A.token("ROOT");
  assert.deepEqual([root.id, root.supply, root.burned, root.decimals], ["1:1", "1900", "100", 2]);
  assert.deepEqual(
    (await A.tokens()).tokens.map((t) => t.ticker),
    ["ROOT", "ISSU"],
  );
  const holders = await A.holders("ROOT");
  assert.deepEqual(
    holders.holders.map((h) => h.amount),
    ["900", "700", "300"],
  );
  const alice = await A.outpoint(world.outpoints.alice_root);
  assert.deepEqual(
    alice.balances.map((b) => [b.token, b.amount]),
    [["1:1", "700"]],
  );
  const batch = await A.outpoints([world.outpoints.bob_root, world.outpoints.carol_root]);
  assert.deepEqual(
    batch.map((o) => o.balances[0]?.amount),
    ["900", "300"],
  );
  const balances = await A.addressBalances(world.addresses.alice);
  assert.deepEqual(
    balances.balances.map((b) => [b.token, b.amount]),
    [
      ["1:1", "700"],
      ["3:1", "500"],
    ],
  );
  const tx = await A.tx(world.txids.G!);
  assert.equal(tx.status, "rejected");
  assert.equal(tx.reason?.name, "unknown_token");
  const events = await A.events({ from: 4, to: 4 });
  assert.ok(events.events.every((e) => e.height === 4) && events.events.length > 0);
  assert.deepEqual((await A.contracts()).contracts, []);
  await assert.rejects(A.token("NOPE"), (e: unknown) => e instanceof ApiError && e.status === 404);
});

test("an outpoint's balance is verified against the root honest indexers agree on", async () => {
  const result = await verifier("A", "B").outpoints([world.outpoints.alice_root]);
  const block = await A.block(4);
  assert.equal(result.height, 4);
  assert.equal(result.stateRoot, block.state_root);
  assert.equal(result.blockHash, block.hash);
  assert.deepEqual(result.outpoints, [
    {
      outpoint: world.outpoints.alice_root,
      balances: [{ token: "1:1", ticker: "ROOT", decimals: 2, amount: 700n }],
      authorities: [],
    },
  ]);
});

test("an address is verified outpoint by outpoint, totals included", async () => {
  const result = await verifier("A", "B").address(world.addresses.alice);
  assert.deepEqual(
    result.totals.map((t) => [t.token, t.ticker, t.amount]),
    [
      ["1:1", "ROOT", 700n],
      ["3:1", "ISSU", 500n],
    ],
  );
  const authority = result.outpoints.find((o) => o.outpoint === world.outpoints.issu_authority);
  assert.deepEqual(authority?.authorities, ["3:1"]);
  assert.match(result.notes.join("\n"), /that the address has no others is not/);
  const dave = await verifier("A", "B").address(world.addresses.dave);
  assert.deepEqual([dave.outpoints, dave.totals, dave.height], [[], [], 4]);
});

test("an outpoint holding nothing is proved absent", async () => {
  const unknown = `${"ab".repeat(32)}:0`;
  const result = await verifier("A", "B").outpoints([unknown]);
  assert.deepEqual(result.outpoints, [{ outpoint: unknown, balances: [], authorities: [] }]);
});

test("a token record is verified", async () => {
  const token = await verifier("A", "B").token("3:1");
  assert.deepEqual(
    [token.ticker, token.decimals, token.minted, token.maxSupply],
    ["ISSU", 0, 500n, 10_000n],
  );
});

test("a liar with its own root is refused by name, with what it reported", async () => {
  for (const check of [
    (v: Verifier) => v.outpoints([world.outpoints.alice_root]),
    (v: Verifier) => v.agreedRoot(),
  ]) {
    await assert.rejects(check(verifier("A", "B", "C")), (error: unknown) => {
      assert.ok(error instanceof RefusedError);
      assert.equal(error.indexer, world.urls.C);
      assert.equal(error.height, 4);
      assert.match(error.message, /the indexers disagree at height 4; nothing is verified/);
      const line = error.message.split("\n").find((l) => l.includes(world.urls.C))!;
      assert.ok(
        !line.includes(world.urls.A) && line.includes(error.reports[world.urls.C]!.stateRoot),
      );
      assert.notEqual(
        error.reports[world.urls.C]!.stateRoot,
        error.reports[world.urls.A]!.stateRoot,
      );
      assert.equal(error.reports[world.urls.A]!.stateRoot, error.reports[world.urls.B]!.stateRoot);
      return true;
    });
  }
});

test("with two indexers that disagree, neither is trusted nor singled out", async () => {
  await assert.rejects(verifier("A", "C").agreedRoot(), (error: unknown) => {
    assert.ok(error instanceof RefusedError);
    assert.equal(error.indexer, null); // one against one: nothing says which one lies
    assert.ok(error.message.includes(world.urls.A) && error.message.includes(world.urls.C));
    return true;
  });
});

test("a liar whose proof cannot match the agreed root is refused by name", async () => {
  await assert.rejects(
    verifier("A", "D", "B").outpoints([world.outpoints.alice_root]),
    (error: unknown) => {
      assert.ok(error instanceof RefusedError);
      assert.equal(error.indexer, world.urls.D);
      assert.match(
        error.message,
        new RegExp(`indexer ${world.urls.D} sent a proof for 01[0-9a-f]+ that does not verify`),
      );
      return true;
    },
  );
  // D is refused even for ALICE's address, where A and B alone would verify.
  await assert.rejects(verifier("D", "A").address(world.addresses.alice), /does not verify/);
});

test("a tampered proof or claimed value from a real answer is refused", async () => {
  const answer = await A.outpointProof(world.outpoints.alice_root);
  const root = fromHex(answer.anchor.state_root);
  const key = outpointKey(world.outpoints.alice_root);
  const value = fromHex(answer.proof.value!);
  verifyProof(root, key, value, fromHex(answer.proof.proof)); // the honest answer verifies
  const flipped = fromHex(answer.proof.proof);
  flipped[flipped.length - 1]! ^= 1;
  assert.throws(
    () => verifyProof(root, key, value, flipped),
    (e: unknown) => e instanceof ProofError && e.step === 5,
  );
  const v = verifier("A", "B");
  const tampered = { ...answer, proof: { ...answer.proof, proof: toHex(flipped) } };
  await assert.rejects(
    v.checked("http://tamperer", tampered, key),
    (e: unknown) => e instanceof RefusedError && e.indexer === "http://tamperer",
  );
  // The proof of ALICE's record does not prove BOB's key, whatever the answer says its key is.
  await assert.rejects(
    v.checked(world.urls.A, answer, outpointKey(world.outpoints.bob_root)),
    /does not verify/,
  );
  // An anchor naming another root than the one the indexers agree on at its height.
  const reanchored = { ...answer, anchor: { ...answer.anchor, state_root: "00".repeat(32) } };
  await assert.rejects(
    v.checked("http://reanchorer", reanchored, key),
    /indexer http:\/\/reanchorer anchors its proof at height 4 with state_root 0{64}, but the indexers agree on [0-9a-f]{64}/,
  );
});

test("an unreachable indexer is refused by name", async () => {
  const dead = "http://127.0.0.1:9";
  await assert.rejects(
    new Verifier([world.urls.A, dead]).agreedRoot(),
    (e: unknown) =>
      e instanceof RefusedError && e.indexer === dead && /did not answer/.test(e.message),
  );
});

test("a composed transfer is a PSBT spending the funding and paying the recipient", async () => {
  const coin = `${"cc".repeat(32)}:0`;
  const funding = [
    {
      outpoint: world.outpoints.alice_root,
      value: 10_000,
      address: world.addresses.alice,
      tokens: ["1:1"],
    },
    { outpoint: coin, value: 100_000, address: world.addresses.alice },
  ];
  const { answer, tx } = await composeTransfer(A, {
    funding,
    change_address: world.addresses.alice,
    fee_rate: 2,
    transfers: [{ token: "ROOT", amount: 250n, address: world.addresses.bob }],
  });
  assert.equal(tx.inputsLength, 2);
  assert.equal(tx.outputsLength, 3);
  assert.equal(toHex(tx.getOutput(0).script!).slice(0, 16), "6a06727374617465"); // OP_RETURN "rstate"
  assert.equal(tx.getOutput(1).amount, 330n); // dust-safe P2TR output for BOB
  assert.equal(tx.id, answer.txid);
  assert.deepEqual(
    answer.outputs.map((o) => o.role),
    ["carrier", "recipient", "change"],
  );
  assert.equal(answer.outputs[2]!.balances[0]!.amount, "450");
  assert.throws(
    () => decodePsbt(world.urls.A, answer.psbt, funding.slice().reverse()),
    ComposeMismatchError,
  );
});

/** BIP341's provably unspendable internal key H = lift_x(sha256(G)), from the BIP's text. */
const NUMS = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0";

test("a composed publish is a commit to the envelope and a reveal spending it", async () => {
  const { answer, commit, reveal } = await composePublish(A, {
    code: world.hello_wasm,
    pubkey: world.publisher_xonly,
    funding: [{ outpoint: `${"cd".repeat(32)}:1`, value: 200_000, address: world.addresses.alice }],
    change_address: world.addresses.bob,
    fee_rate: 2,
  });
  const envelope = commit.getOutput(0);
  assert.equal(toHex(envelope.script!).slice(0, 4), "5120"); // a P2TR output
  assert.equal(toHex(envelope.tapInternalKey!), NUMS);
  assert.equal(reveal.id, answer.reveal.txid);
  const [, leaf] = reveal.getInput(0).tapLeafScript![0]!;
  const script = toHex(leaf);
  assert.ok(script.startsWith(`20${world.publisher_xonly}ac0063`)); // <key> CHECKSIG FALSE IF
  assert.ok(script.includes(`06${toHex(new TextEncoder().encode("rstate"))}`));
  assert.ok(script.includes(world.hello_wasm.slice(0, 64)));
});

async function next(stream: AsyncGenerator<StreamMessage>, kind: string): Promise<StreamMessage> {
  for (;;) {
    const { value, done } = await stream.next();
    assert.ok(!done, "the stream ended");
    if (value.event === kind) return value;
  }
}

test("the stream delivers a new block's events, and resumes after the server restarts", async () => {
  const control = new AbortController();
  const reconnects: string[] = [];
  const stream = subscribe(world.urls.A, {
    signal: control.signal,
    backoffMs: 100,
    onReconnect: (_, reason) => reconnects.push(reason),
  });
  try {
    const hello = await next(stream, "hello");
    assert.equal((hello.data as { height: number }).height, 4);
    await indexers.command("advance A");
    const event = await next(stream, "event");
    assert.equal((event.data as { type: string; height: number }).type, "debit");
    const block = await next(stream, "block");
    assert.equal((block.data as { height: number }).height, 5);
    assert.equal(block.id, `5-${(block.data as { hash: string }).hash}`);
    await indexers.command("restart A");
    await indexers.command("advance A");
    const seen: number[] = [];
    for (;;) {
      const message = await next(stream, "block");
      seen.push((message.data as { height: number }).height);
      if (seen.at(-1) === 6) break;
    }
    assert.deepEqual(seen, [6]); // resumed from block 5's cursor: nothing repeated, nothing skipped
    assert.ok(reconnects.length >= 1, "the client reconnected");
  } finally {
    control.abort();
    await stream.return(undefined);
  }
});

test("proofs are verified only at a height every indexer has", async () => {
  // A is at height 6, B still at 4: A's proof is of a block B cannot vouch for.
  await assert.rejects(
    verifier("A", "B").outpoints([world.outpoints.alice_root]),
    /answered at different heights .* retry when all are at the same tip/,
  );
  const agreed = await verifier("A", "B").agreedRoot();
  assert.equal(agreed.height, 4);
  assert.equal(agreed.stateRoot, (await A.block(4)).state_root);
  await indexers.command("advance B");
  await indexers.command("advance B");
  const moved = await verifier("A", "B").address(world.addresses.alice);
  assert.equal(moved.height, 6);
  assert.deepEqual(
    moved.totals.map((t) => [t.ticker, t.amount]),
    [
      ["ROOT", 500n],
      ["ISSU", 500n],
    ],
  );
  const spent = await verifier("B", "A").outpoints([world.outpoints.alice_root]);
  assert.deepEqual(spent.outpoints[0]!.balances, []); // E:1 was spent at height 5: proved absent
});
