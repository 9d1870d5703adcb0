"""Finishes tf2onnx's conversion of a mediapipe network: completes it where tf2onnx could not
(the selfie segmentation) and names the constants canonically.

Canonical names: tf2onnx names folded constants in an order that changes from run to run
(same graph, same values, different names and so different bytes); renaming every initializer
after its first use in the node order makes the output the same bytes on every run, so
SHA256SUMS can check the conversion.

tf2onnx 1.16 leaves two ops it does not know in the selfie segmentation graph:
- HardSwish (TFLite HARD_SWISH, x * relu6(x + 3) / 6): ONNX has the same op from opset 14
  (alpha 1/6, beta 1/2 are its defaults), so the node only needs the default domain;
- mediapipe's custom Convolution2DTransposeBias (the last layer: a transposed convolution with
  bias; its custom options say padding SAME, stride 2x2), which becomes an ONNX ConvTranspose
  on the NCHW tensor that tf2onnx had transposed to NHWC for it.

Usage: python finish_onnx.py in.onnx out.onnx
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

src, dst = sys.argv[1], sys.argv[2]
model = onnx.load(src)
graph = model.graph
assert any(o.domain in ("", "ai.onnx") and o.version >= 14 for o in model.opset_import), \
    "convert with --opset 14 or later (HardSwish)"
inits = {i.name: i for i in graph.initializer}
producers = {o: n for n in graph.node for o in n.output}

for node in graph.node:
    if node.op_type == "HardSwish":
        node.domain = ""

custom = [n for n in graph.node if n.op_type == "TFL_Convolution2DTransposeBias"]
assert len(custom) <= 1, f"expected at most one Convolution2DTransposeBias, found {len(custom)}"
if custom:
    node = custom[0]
    x, w_name, b_name = node.input
    to_nhwc = producers[x]
    assert to_nhwc.op_type == "Transpose" and list(to_nhwc.attribute[0].ints) == [0, 2, 3, 1]
    nchw = to_nhwc.input[0]
    # TFLite transposed-conv weights are OHWI; ONNX ConvTranspose wants (C_in, C_out, kH, kW).
    w = numpy_helper.to_array(inits[w_name]).astype(np.float32)
    b = numpy_helper.to_array(inits[b_name]).astype(np.float32)
    out = node.output[0]
    index = list(graph.node).index(node)
    graph.node.remove(node)
    new_nodes = [
        helper.make_node(
            "ConvTranspose",
            [nchw, w_name + "_iohw", b_name + "_bias"],
            [out + "_nchw"],
            name=node.name + "_conv_transpose",
            kernel_shape=[w.shape[1], w.shape[2]],
            strides=[2, 2],
        ),
        helper.make_node("Transpose", [out + "_nchw"], [out], name=node.name + "_to_nhwc",
                         perm=[0, 2, 3, 1]),
    ]
    for k, n in enumerate(new_nodes):
        graph.node.insert(index + k, n)
    graph.initializer.append(numpy_helper.from_array(w.transpose(3, 0, 1, 2).copy(), w_name + "_iohw"))
    graph.initializer.append(numpy_helper.from_array(b, b_name + "_bias"))
    # Drop the transpose that only fed the custom op, if nothing else reads it.
    if not any(to_nhwc.output[0] in n.input for n in graph.node):
        graph.node.remove(to_nhwc)

# Canonical initializer names and order: by first use in the (stable) node order.
renamed = {}
for n in graph.node:
    for k, name in enumerate(n.input):
        if name in inits or name in {i.name for i in graph.initializer}:
            if name not in renamed:
                renamed[name] = f"const_{len(renamed)}"
            n.input[k] = renamed[name]
by_name = {i.name: i for i in graph.initializer}
ordered = []
for old, new in renamed.items():
    init = by_name[old]
    init.name = new
    ordered.append(init)
del graph.initializer[:]
graph.initializer.extend(ordered)
onnx.checker.check_model(model)
onnx.save(model, dst)
