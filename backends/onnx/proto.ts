/**
 * The ONNX file format: the subset of `onnx.proto` (field numbers as in the ONNX spec) that
 * models need, encoded and decoded by protobufjs, with plain TypeScript types over it.
 *
 * @module
 */

import protobuf from "protobufjs";

// The messages and fields mfm reads and writes; numbers follow onnx/onnx.proto (IR version 8).
const SCHEMA = `
syntax = "proto2";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10; }
  optional string name = 1;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; optional string doc_string = 3; }
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
}
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}
message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}
message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  optional int32 data_location = 14;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
`;

const root = protobuf.parse(SCHEMA, { keepCase: false }).root;
const ModelType = root.lookupType("onnx.ModelProto");

/** ONNX element types used by mfm (TensorProto.DataType). */
export const ONNX_DTYPE = {
  FLOAT: 1,
  UINT8: 2,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  DOUBLE: 11,
} as const;

/** A tensor value (initializer or attribute). */
export interface TensorProto {
  /** Shape. */
  dims?: number[];
  /** Element type (TensorProto.DataType). */
  dataType?: number;
  /** Name (initializers). */
  name?: string;
  /** Little-endian element bytes. */
  rawData?: Uint8Array;
  /** float32 elements, when not raw. */
  floatData?: number[];
  /** int32, bool, uint8 elements, when not raw. */
  int32Data?: number[];
  /** int64 elements, when not raw. */
  int64Data?: number[];
  /** float64 elements, when not raw. */
  doubleData?: number[];
  /** 1 when the data lives in an external file (not supported by mfm). */
  dataLocation?: number;
}

/** A node attribute. */
export interface AttributeProto {
  /** Attribute name. */
  name: string;
  /** Discriminator (AttributeProto.AttributeType). */
  type?: number;
  /** Float value. */
  f?: number;
  /** Int value. */
  i?: number;
  /** String value (UTF-8 bytes). */
  s?: Uint8Array;
  /** Tensor value. */
  t?: TensorProto;
  /** Floats. */
  floats?: number[];
  /** Ints. */
  ints?: number[];
  /** Strings. */
  strings?: Uint8Array[];
}

/** One operator application. */
export interface NodeProto {
  /** Input value names ("" for an omitted optional input). */
  input: string[];
  /** Output value names. */
  output: string[];
  /** Node name. */
  name?: string;
  /** Operator. */
  opType: string;
  /** Operator-set domain ("" for the default ONNX domain). */
  domain?: string;
  /** Attributes. */
  attribute?: AttributeProto[];
}

/** A dimension: fixed size or symbolic name. */
export interface DimProto {
  /** Fixed size. */
  dimValue?: number;
  /** Symbolic name (a dynamic axis). */
  dimParam?: string;
}

/** A typed, named graph input or output. */
export interface ValueInfoProto {
  /** Value name. */
  name: string;
  /** Tensor type and shape. */
  type?: { tensorType?: { elemType?: number; shape?: { dim?: DimProto[] } } };
  /** Documentation. */
  docString?: string;
}

/** A graph. */
export interface GraphProto {
  /** Name. */
  name?: string;
  /** Nodes in topological order. */
  node: NodeProto[];
  /** Constant tensors. */
  initializer?: TensorProto[];
  /** Inputs. */
  input: ValueInfoProto[];
  /** Outputs. */
  output: ValueInfoProto[];
}

/** A model file. */
export interface ModelProto {
  /** IR version. */
  irVersion: number;
  /** Operator sets. */
  opsetImport: { domain?: string; version: number }[];
  /** Producer. */
  producerName?: string;
  /** Producer version. */
  producerVersion?: string;
  /** Documentation. */
  docString?: string;
  /** The graph. */
  graph: GraphProto;
  /** Key/value metadata. */
  metadataProps?: { key: string; value: string }[];
}

/**
 * Encodes a model to ONNX bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeModel(model);
 * ```
 */
export function encodeModel(model: ModelProto): Uint8Array {
  const err = ModelType.verify(model);
  if (err) throw new Error(`encodeModel: invalid model: ${err}`);
  return ModelType.encode(ModelType.fromObject(model)).finish();
}

/**
 * Decodes ONNX bytes to a model (int64 fields as numbers).
 *
 * @example
 * ```ts
 * const model = decodeModel(await Deno.readFile("model.onnx"));
 * ```
 */
export function decodeModel(bytes: Uint8Array, source = "onnx model"): ModelProto {
  let msg;
  try {
    msg = ModelType.decode(bytes);
  } catch (e) {
    throw new Error(`${source}: not a valid ONNX protobuf (${(e as Error).message})`);
  }
  const obj = ModelType.toObject(msg, {
    longs: Number,
    bytes: Uint8Array,
    arrays: true,
    defaults: false,
  });
  const model = obj as unknown as ModelProto;
  if (!model.graph) throw new Error(`${source}: the model has no graph`);
  model.graph.node ??= [];
  model.graph.input ??= [];
  model.graph.output ??= [];
  return model;
}
