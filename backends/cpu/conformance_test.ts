// The conformance suite on `cpu` itself: the oracle agrees with itself exactly through jit and
// eager paths (a check of the suite's plumbing).
import "@mfm/backends/cpu";
import { defineConformanceTests } from "../../tests/conformance.ts";

defineConformanceTests("cpu");
