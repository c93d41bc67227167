// The backend conformance suite on `onnx` (ONNX Runtime, CPU execution provider).
import "@mfm/backends/cpu";
import "@mfm/backends/onnx";
import { defineConformanceTests } from "../../tests/conformance.ts";

defineConformanceTests("onnx");
