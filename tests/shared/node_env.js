// --pre-js for shared_tests under node: Emscripten's getenv sees only its own ENV object, so copy
// the process environment in before main (P2P_ONNX_HASH_OUT and other test switches).
Module['preRun'] = (Module['preRun'] || []).concat([function () { Object.assign(ENV, process.env); }]);
