pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "poseidon_shared.circom";

// One-hot decoding of a k-bit digit (LSB first): out[j] = 1 iff the digit equals j.
// Built by splitting on one bit at a time: 2^k - 2 multiplications for k >= 1.
template OneHot(k) {
    signal input bits[k];
    signal output out[1 << k];
    if (k == 0) {
        out[0] <== 1;
    } else {
        component lower = OneHot(k - 1);
        for (var i = 0; i < k - 1; i++) lower.bits[i] <== bits[i];
        var half = 1 << (k - 1);
        signal high[half];
        for (var j = 0; j < half; j++) {
            if (k == 1) {
                high[j] <== bits[k - 1];
            } else {
                high[j] <== lower.out[j] * bits[k - 1];
            }
            out[j] <== lower.out[j] - high[j];
            out[j + half] <== high[j];
        }
    }
}

// Replace one leaf of an A-ary Poseidon tree of depth D and return the roots before and after.
// The witness supplies every level's A children on the path (including the node on the path
// itself); the circuit checks that the child at the path position is the running hash, so the
// remaining children are the siblings. Old and new parent hashes share the children, the one-hot
// position decoding and the first Poseidon S-box layer of every sibling: only the S-box at the path
// position differs, (newChild + C_pos)^5 instead of (oldChild + C_pos)^5.
//   indexBits: LSB first, log2(A) bits per level, level 0 = leaves.
template PathUpdate(A, D) {
    var K = A == 2 ? 1 : (A == 4 ? 2 : 3);
    signal input indexBits[D * K];
    signal input children[D][A];
    signal input oldLeaf;
    signal input newLeaf;
    signal output oldRoot;
    signal output newRoot;

    var t = A + 1;
    var ROUNDS_P[16] = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];
    var C[t * 8 + ROUNDS_P[t - 2]] = POSEIDON_C(t);

    component pos[D];
    component sb[D][A];
    component sbOldAt[D];
    component sbNewAt[D];
    component hOld[D];
    component hNew[D];
    signal oldCur[D + 1];
    signal newCur[D + 1];
    signal picked[D][A];
    signal delta[D][A];
    oldCur[0] <== oldLeaf;
    newCur[0] <== newLeaf;
    for (var l = 0; l < D; l++) {
        pos[l] = OneHot(K);
        for (var b = 0; b < K; b++) pos[l].bits[b] <== indexBits[l * K + b];
        var sel = 0;
        var cPos = 0;
        for (var j = 0; j < A; j++) {
            picked[l][j] <== pos[l].out[j] * children[l][j];
            sel += picked[l][j];
            cPos += pos[l].out[j] * C[j + 1];
        }
        sel === oldCur[l];
        // first S-box layer: shared for the siblings, recomputed at the path position
        sbOldAt[l] = Pow5();
        sbOldAt[l].in <== oldCur[l] + cPos;
        sbNewAt[l] = Pow5();
        sbNewAt[l].in <== newCur[l] + cPos;
        hOld[l] = PoseidonFromFirstSbox(A);
        hNew[l] = PoseidonFromFirstSbox(A);
        for (var j = 0; j < A; j++) {
            sb[l][j] = Pow5();
            sb[l][j].in <== children[l][j] + C[j + 1];
            delta[l][j] <== pos[l].out[j] * (sbNewAt[l].out - sbOldAt[l].out);
            hOld[l].sbox[j] <== sb[l][j].out;
            hNew[l].sbox[j] <== sb[l][j].out + delta[l][j];
        }
        oldCur[l + 1] <== hOld[l].out;
        newCur[l + 1] <== hNew[l].out;
    }
    oldRoot <== oldCur[D];
    newRoot <== newCur[D];
}
