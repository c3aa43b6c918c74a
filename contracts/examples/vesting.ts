// Vesting: tokens released to a beneficiary's output script on a block-height schedule.
// Nothing vests before the cliff; from the cliff to the end the vested amount grows
// linearly from `start` (rounded down), and everything is vested at `end`. Anyone may
// fund the contract or trigger a release; released tokens can only go to an output
// paying the beneficiary's script. Input layouts: contracts/README.md.
import {
  AssetId,
  Bytes,
  Key,
  Reader,
  U128,
  Writer,
  amountOf,
  emit,
  fail,
  getU128,
  height,
  input,
  mustGetBytes,
  noneReceived,
  onlyReceived,
  outputPays,
  received,
  require,
  send,
  setBytes,
  setReturn,
  setU128,
} from "../sdk";

/** Unknown operation byte. */
const E_OP: i32 = 100;
/** The schedule is not start <= cliff <= end with start < end. */
const E_SCHEDULE: i32 = 101;
/** Beneficiary script empty or longer than MAX_SCRIPT. */
const E_SCRIPT: i32 = 102;
/** The vesting was never initialised. */
const E_NOT_INIT: i32 = 103;
/** Release to an output whose script is not the beneficiary's. */
const E_WRONG_SCRIPT: i32 = 104;
/** Nothing vested beyond what was already released, or a zero deposit. */
const E_NOTHING: i32 = 105;

const MAX_SCRIPT: i32 = 200;

const SLOT_CONFIG: u8 = 1;
const SLOT_TOTAL: u8 = 2;
const SLOT_RELEASED: u8 = 3;

const OP_FUND: u8 = 1;
const OP_RELEASE: u8 = 2;
const OP_VIEW: u8 = 3;

class Schedule {
  constructor(
    public asset: AssetId,
    public start: u64,
    public cliff: u64,
    public end: u64,
    public script: Bytes,
  ) {}

  static read(r: Reader): Schedule {
    return new Schedule(r.asset(), r.u64(), r.u64(), r.u64(), r.script());
  }

  encode(): Bytes {
    return new Writer(12 + 24 + 2 + this.script.len)
      .asset(this.asset)
      .u64(this.start)
      .u64(this.cliff)
      .u64(this.end)
      .script(this.script)
      .finish();
  }

  static load(): Schedule {
    const b = mustGetBytes(Key.slot(SLOT_CONFIG), E_NOT_INIT);
    const r = new Reader(b.ptr, b.len);
    const s = Schedule.read(r);
    r.done();
    return s;
  }

  /** The amount of `total` vested at height h. */
  vested(total: U128, h: u64): U128 {
    if (h < this.cliff) return U128.zero();
    if (h >= this.end) return total;
    return U128.mulDiv(total, U128.from(h - this.start), U128.from(this.end - this.start));
  }
}

/** init: asset (12), start (u64), cliff (u64), end (u64), beneficiary script. */
export function init(): void {
  const r = input();
  const s = Schedule.read(r);
  r.done();
  require(s.start <= s.cliff && s.cliff <= s.end && s.start < s.end, E_SCHEDULE);
  require(s.script.len > 0 && s.script.len <= MAX_SCRIPT, E_SCRIPT);
  setBytes(Key.slot(SLOT_CONFIG), s.encode());
}

/** fund: no fields; send the schedule's asset in (any number of times). */
function fund(s: Schedule, r: Reader): void {
  r.done();
  const got = received();
  onlyReceived(got, [s.asset]);
  const amount = amountOf(got, s.asset);
  require(!amount.isZero(), E_NOTHING);
  const key = Key.slot(SLOT_TOTAL);
  setU128(key, getU128(key).add(amount));
  emit(new Writer(17).u8(OP_FUND).u128(amount).finish());
}

/** release: vout (u32) paying the beneficiary's script; sends everything vested so far. */
function release(s: Schedule, r: Reader): void {
  const vout = r.u32();
  r.done();
  noneReceived();
  require(outputPays(vout, s.script), E_WRONG_SCRIPT);
  const vested = s.vested(getU128(Key.slot(SLOT_TOTAL)), height());
  const key = Key.slot(SLOT_RELEASED);
  const released = getU128(key);
  require(vested.gt(released), E_NOTHING);
  const amount = vested.sub(released);
  setU128(key, vested);
  send(s.asset, amount, vout);
  emit(new Writer(17).u8(OP_RELEASE).u128(amount).finish());
  setReturn(new Writer(16).u128(amount).finish());
}

/** view: no fields; returns total, released, vested now (u128 each). */
function view(s: Schedule, r: Reader): void {
  r.done();
  noneReceived();
  const total = getU128(Key.slot(SLOT_TOTAL));
  setReturn(
    new Writer(48)
      .u128(total)
      .u128(getU128(Key.slot(SLOT_RELEASED)))
      .u128(s.vested(total, height()))
      .finish(),
  );
}

export function call(): void {
  const r = input();
  const op = r.u8();
  const s = Schedule.load();
  if (op == OP_FUND) fund(s, r);
  else if (op == OP_RELEASE) release(s, r);
  else if (op == OP_VIEW) view(s, r);
  else fail(E_OP);
}
