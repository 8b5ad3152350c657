pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/babyjub.circom";
include "circomlib/circuits/escalarmulany.circom";
include "circomlib/circuits/escalarmulfix.circom";

// EdDSA-Poseidon verification (the scheme of circomlib/circomlibjs), checked only when `enabled`:
//   S·B8 == R8 + 8·H(R8, A, M)·A
// Two relaxations against circomlib's EdDSAPoseidonVerifier save ~520 constraints
// (docs/CIRCUITS.md): S is only range-checked to 253 bits (no S < l comparison: S and S + l are the
// same signature, replay is stopped by the nonce), and H is decomposed with Num2Bits(254) instead
// of Num2Bits_strict (an alias h + p is another deterministic challenge; forging under it is as
// hard as forging the scheme).
template EdDSAPoseidonLite() {
    signal input enabled;
    signal input Ax;
    signal input Ay;
    signal input S;
    signal input R8x;
    signal input R8y;
    signal input M;

    component sBits = Num2Bits(253);
    sBits.in <== S;

    component h = Poseidon(5);
    h.inputs[0] <== R8x;
    h.inputs[1] <== R8y;
    h.inputs[2] <== Ax;
    h.inputs[3] <== Ay;
    h.inputs[4] <== M;
    component hBits = Num2Bits(254);
    hBits.in <== h.out;

    // 8·A clears the cofactor; a low-order A would give the identity
    component d1 = BabyDbl();
    d1.x <== Ax;
    d1.y <== Ay;
    component d2 = BabyDbl();
    d2.x <== d1.xout;
    d2.y <== d1.yout;
    component d3 = BabyDbl();
    d3.x <== d2.xout;
    d3.y <== d2.yout;
    component lowOrder = IsZero();
    lowOrder.in <== d3.xout;
    lowOrder.out * enabled === 0;

    component hA = EscalarMulAny(254);
    for (var i = 0; i < 254; i++) hA.e[i] <== hBits.out[i];
    hA.p[0] <== d3.xout;
    hA.p[1] <== d3.yout;

    component right = BabyAdd();
    right.x1 <== R8x;
    right.y1 <== R8y;
    right.x2 <== hA.out[0];
    right.y2 <== hA.out[1];

    var BASE8[2] = [
        5299619240641551281634865583518297030282874472190772894086521144482721001553,
        16950150798460657717958625567821834550301663161624707787222815936182638968203
    ];
    component left = EscalarMulFix(253, BASE8);
    for (var i = 0; i < 253; i++) left.e[i] <== sBits.out[i];

    (left.out[0] - right.xout) * enabled === 0;
    (left.out[1] - right.yout) * enabled === 0;
}
