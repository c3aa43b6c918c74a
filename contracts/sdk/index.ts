// The rootstate contract SDK. A contract exports `call(): void` and optionally
// `init(): void`, and builds with contracts/build.sh (which redirects AssemblyScript's
// abort to rootstate.abort and keeps the module inside the accepted subset).
export * from "./error";
export * from "./u128";
export * from "./codec";
export * from "./asset";
export * from "./storage";
export * from "./tx";
