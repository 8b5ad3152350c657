pragma circom 2.1.0;

include "circomlib/circuits/poseidon_constants.circom";

// x^5, the Poseidon S-box (3 constraints).
template Pow5() {
    signal input in;
    signal output out;
    signal sq <== in * in;
    signal q4 <== sq * sq;
    out <== q4 * in;
}

// circomlib's Poseidon(n) (t = n + 1 lanes, capacity lane 0 starting at 0, the optimised round
// structure with sparse partial-round matrices, same constants) evaluated from the output of its
// first S-box layer: `sbox[j] = (inputs[j] + C[j + 1])^5`. The capacity lane's first S-box is the
// constant C[0]^5. Lets two hashes whose inputs differ in one position share the other n − 1
// first-layer S-boxes (a Merkle path's old and new parent hashes share every sibling).
template PoseidonFromFirstSbox(n) {
    signal input sbox[n];
    signal output out;

    var t = n + 1;
    var ROUNDS_F = 8;
    var ROUNDS_P[16] = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];
    var nP = ROUNDS_P[t - 2];
    var C[t * ROUNDS_F + nP] = POSEIDON_C(t);
    var S[nP * (2 * t - 1)] = POSEIDON_S(t);
    var M[t][t] = POSEIDON_M(t);
    var P[t][t] = POSEIDON_P(t);
    var HALF = ROUNDS_F \ 2;

    // ---- first half of the full rounds; round 0's S-box layer is the input
    signal full[HALF][t];           // S-box outputs of full round r
    component fs[HALF][t];
    var c0 = C[0];
    full[0][0] <== c0 * c0 * c0 * c0 * c0;
    for (var j = 0; j < n; j++) full[0][j + 1] <== sbox[j];
    for (var r = 1; r < HALF; r++) {
        // previous round: add constants, mix with M, then S-box
        for (var i = 0; i < t; i++) {
            var lc = 0;
            for (var j = 0; j < t; j++) lc += M[j][i] * (full[r - 1][j] + C[r * t + j]);
            fs[r][i] = Pow5();
            fs[r][i].in <== lc;
            full[r][i] <== fs[r][i].out;
        }
    }
    // last round of the first half mixes with P (the dense part of the partial-round matrices)
    signal x[nP + 1][t];
    for (var i = 0; i < t; i++) {
        var lc = 0;
        for (var j = 0; j < t; j++) lc += P[j][i] * (full[HALF - 1][j] + C[HALF * t + j]);
        x[0][i] <== lc;
    }

    // ---- partial rounds: S-box on lane 0 only, then the sparse matrix of round r
    component ps[nP];
    signal head[nP];
    for (var r = 0; r < nP; r++) {
        ps[r] = Pow5();
        ps[r].in <== x[r][0];
        head[r] <== ps[r].out + C[(HALF + 1) * t + r];
        var lc = 0;
        for (var i = 0; i < t; i++) lc += S[(2 * t - 1) * r + i] * (i == 0 ? head[r] : x[r][i]);
        x[r + 1][0] <== lc;
        for (var i = 1; i < t; i++) x[r + 1][i] <== x[r][i] + head[r] * S[(2 * t - 1) * r + t + i - 1];
    }

    // ---- second half of the full rounds
    signal full2[HALF][t];
    component fs2[HALF][t];
    for (var i = 0; i < t; i++) {
        fs2[0][i] = Pow5();
        fs2[0][i].in <== x[nP][i];
        full2[0][i] <== fs2[0][i].out;
    }
    for (var r = 1; r < HALF; r++) {
        for (var i = 0; i < t; i++) {
            var lc = 0;
            for (var j = 0; j < t; j++) lc += M[j][i] * (full2[r - 1][j] + C[(HALF + 1) * t + nP + (r - 1) * t + j]);
            fs2[r][i] = Pow5();
            fs2[r][i].in <== lc;
            full2[r][i] <== fs2[r][i].out;
        }
    }
    var lc = 0;
    for (var j = 0; j < t; j++) lc += M[j][0] * full2[HALF - 1][j];
    out <== lc;
}
