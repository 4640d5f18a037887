// Named errors, one class per kind of refusal, as the Python runtime's (docs/RUNTIME.md "Errors"): each message
// names the problem and the fix. `err.name` is the class name, so a page can branch on it.

/** Base class of every refusal of this package. */
export class GLiNERError extends Error {
  constructor(message) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** A bad argument: text, labels, threshold, options (Python: ValueError). */
export class InputError extends GLiNERError {}

/** manifest.json missing, not JSON, or a field missing, mistyped or out of range (Python: ManifestError). */
export class ManifestError extends GLiNERError {}

/** A file of the folder that is missing, or not what the manifest says (size, sha256, signatures, tensors)
 * (Python: ArtifactError / FileNotFoundError). */
export class ArtifactError extends GLiNERError {}

/** A folder this runtime cannot run although it is valid: seed-named int64 files, a precision not converted. */
export class UnsupportedFolderError extends GLiNERError {}

/** A label bank that is broken, edited, or made by another model (Python: BankError). */
export class BankError extends GLiNERError {}

/** LiteRT.js failed inside a graph call (a trap in wasm: most often the 2 GiB wasm heap exhausted by a large bucket's
 * activations). The model may be unusable afterwards: load it again. */
export class EngineError extends GLiNERError {}
