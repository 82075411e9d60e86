# TensorBundle: the one wire format for bulk numeric data in dmlp (gradients, parameter shards,
# mini-batches, model weights). A bundle is a list of named tensors; each carries its element
# type, its shape and its elements as raw little-endian bytes in row-major order, so a tensor
# crosses the wire through memcpy instead of element-wise serialization.
# formatVersion lets a reader refuse bytes written by an incompatible writer.
@0xcef0998a28e64ab7;

enum DType {
  float32 @0;
  float64 @1;
  int64 @2;
  int32 @3;
  uint8 @4;
  int8 @5;
}

struct Tensor {
  name @0 :Text;
  dtype @1 :DType;
  shape @2 :List(Int64);
  data @3 :Data;
}

struct TensorBundle {
  formatVersion @0 :UInt16;
  tensors @1 :List(Tensor);
}
