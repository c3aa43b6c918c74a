// @rootstate/client: what a wallet needs from rootstate indexers. Start from Verifier for
// anything the wallet relies on; Indexer gives one indexer's unverified answers.

export { Indexer, type PageOptions } from "./client.js";
export { ApiError, type HttpOptions } from "./http.js";
export {
  Verifier,
  RefusedError,
  type AgreedBlock,
  type BlockReport,
  type VerifiedAmount,
  type VerifiedBalances,
  type VerifiedOutpoint,
  type VerifierOptions,
} from "./verify.js";
export { verifyProof, decodeProof, proofRoot, ProofError, ProofKind, type Proof } from "./proof.js";
export {
  outpointKey,
  tokenKey,
  storageKey,
  assetIdBytes,
  formatAssetId,
  decodeOutpointAssets,
  decodeTokenRecord,
  type OutpointAssets,
  type TokenInfo,
} from "./records.js";
export { decodeCbor, CborError, type Cbor } from "./cbor.js";
export {
  composeTransfer,
  composeMint,
  composeBurn,
  composeCall,
  composePublish,
  decodePsbt,
  ComposeMismatchError,
  type Composed,
  type Published,
} from "./compose.js";
export { subscribe, type StreamMessage, type StreamOptions } from "./stream.js";
export { fromHex, toHex } from "./hex.js";
export type * from "./types.js";
