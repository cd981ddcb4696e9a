// The earlier revision's record path, which ./main bundles from its copy of
// `packages/domain/src` (esbuild `alias`); typed as the working tree's, whose shape
// (`makeRecordPath(options).fromKinesis`) the comparison relies on.
declare module "before/RecordPath" {
  export { makeRecordPath } from "@cdc/domain/RecordPath"
}
