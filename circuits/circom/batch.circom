pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/comparators.circom";
include "lib/slot.circom";

// Horner evaluation Σ_j v[j]·x^j.
template Horner(n) {
    signal input v[n];
    signal input x;
    signal output out;
    signal acc[n];
    acc[n - 1] <== v[n - 1];
    for (var j = n - 2; j >= 0; j--) acc[j] <== acc[j + 1] * x + v[j];
    out <== acc[0];
}

// c = sponge(E): acc = 0; for each chunk of 15 elements (zero-padded): acc = H(acc, chunk…)
template Sponge15(n) {
    signal input v[n];
    signal output out;
    var chunks = (n + 14) \ 15;
    component h[chunks];
    for (var c = 0; c < chunks; c++) {
        h[c] = Poseidon(16);
        h[c].inputs[0] <== c == 0 ? 0 : h[c - 1].out;
        for (var i = 0; i < 15; i++) {
            var j = c * 15 + i;
            h[c].inputs[1 + i] <== j < n ? v[j] : 0;
        }
    }
    out <== h[chunks - 1].out;
}

// The batch circuit: N slots over an A-ary accounts tree of depth D (docs/CIRCUITS.md).
// Single public signal: publicInput = H(prevStateRoot, stateRoot, kHi, kLo, c, y) (docs/PROTOCOL.md).
template Batch(N, A, D, CHAIN_ID) {
    // ---- state before the batch (notesRoot / keyImagesRoot: the hash-chain accumulators)
    signal input accountsRoot;
    signal input assetsRoot;
    signal input notesRoot;
    signal input keyImagesRoot;
    signal input nextIndex;
    // ---- the batch's L1 data hash k = keccak(...), split
    signal input kHi;
    signal input kLo;
    // ---- the compacted regions of E as published (extras: registrations and privacy txs; exits)
    signal input regData[3 * N];
    signal input exitData[2 * N];

    // ---- per slot (see ApplySlot)
    signal input isDeposit[N];
    signal input isRegister[N];
    signal input isTransfer[N];
    signal input isWithdraw[N];
    signal input isShield[N];
    signal input isPrivate[N];
    signal input isUnshield[N];
    signal input isObserverKey[N];
    signal input amountF[N];
    signal input depAmount[N];
    signal input depAsset[N];
    signal input depositor[N];
    signal input sigR8x[N];
    signal input sigR8y[N];
    signal input sigS[N];
    signal input noteX[N];
    signal input noteY[N];
    signal input keyImageTag[N];
    signal input binding[N];
    signal input privAsset[N];
    signal input fromIdx[N];
    signal input fromAx[N];
    signal input fromAy[N];
    signal input fromEth[N];
    signal input fromMeta[N];
    signal input fromBalance[N];
    signal input fromChildren[N][D][A];
    signal input assetLeaf[N];
    signal input toIdx[N];
    signal input toHi[N];
    signal input toEmpty[N];
    signal input toAx[N];
    signal input toAy[N];
    signal input toEth[N];
    signal input toMeta[N];
    signal input toBalance[N];
    signal input toChildren[N][D][A];
    signal input keyRootX[N];
    signal input keyRootY[N];

    signal output publicInput;

    component prevRoot = Poseidon(4);
    prevRoot.inputs[0] <== accountsRoot;
    prevRoot.inputs[1] <== assetsRoot;
    prevRoot.inputs[2] <== notesRoot;
    prevRoot.inputs[3] <== keyImagesRoot;

    // index 0 means "no account" and is never assigned
    component noZeroIndex = IsZero();
    noZeroIndex.in <== nextIndex;
    noZeroIndex.out === 0;

    component slot[N];
    for (var i = 0; i < N; i++) {
        slot[i] = ApplySlot(A, D, CHAIN_ID);
        slot[i].accRootIn <== i == 0 ? accountsRoot : slot[i - 1].accRootOut;
        slot[i].assetsRoot <== assetsRoot;
        slot[i].nextIndexIn <== i == 0 ? nextIndex : slot[i - 1].nextIndexOut;
        slot[i].depositsOnlyIn <== i == 0 ? 1 : slot[i - 1].depositsOnlyOut;
        slot[i].activeIn <== i == 0 ? 1 : slot[i - 1].activeOut;
        slot[i].notesAccIn <== i == 0 ? notesRoot : slot[i - 1].notesAccOut;
        slot[i].keysAccIn <== i == 0 ? keyImagesRoot : slot[i - 1].keysAccOut;
        slot[i].isDeposit <== isDeposit[i];
        slot[i].isRegister <== isRegister[i];
        slot[i].isTransfer <== isTransfer[i];
        slot[i].isWithdraw <== isWithdraw[i];
        slot[i].isShield <== isShield[i];
        slot[i].isPrivate <== isPrivate[i];
        slot[i].isUnshield <== isUnshield[i];
        slot[i].isObserverKey <== isObserverKey[i];
        slot[i].amountF <== amountF[i];
        slot[i].depAmount <== depAmount[i];
        slot[i].depAsset <== depAsset[i];
        slot[i].depositor <== depositor[i];
        slot[i].sigR8x <== sigR8x[i];
        slot[i].sigR8y <== sigR8y[i];
        slot[i].sigS <== sigS[i];
        slot[i].noteX <== noteX[i];
        slot[i].noteY <== noteY[i];
        slot[i].keyImageTag <== keyImageTag[i];
        slot[i].binding <== binding[i];
        slot[i].privAsset <== privAsset[i];
        slot[i].fromIdx <== fromIdx[i];
        slot[i].fromAx <== fromAx[i];
        slot[i].fromAy <== fromAy[i];
        slot[i].fromEth <== fromEth[i];
        slot[i].fromMeta <== fromMeta[i];
        slot[i].fromBalance <== fromBalance[i];
        slot[i].fromChildren <== fromChildren[i];
        slot[i].assetLeaf <== assetLeaf[i];
        slot[i].toIdx <== toIdx[i];
        slot[i].toHi <== toHi[i];
        slot[i].toEmpty <== toEmpty[i];
        slot[i].toAx <== toAx[i];
        slot[i].toAy <== toAy[i];
        slot[i].toEth <== toEth[i];
        slot[i].toMeta <== toMeta[i];
        slot[i].toBalance <== toBalance[i];
        slot[i].toChildren <== toChildren[i];
        slot[i].keyRootX <== keyRootX[i];
        slot[i].keyRootY <== keyRootY[i];
    }

    component newRoot = Poseidon(4);
    newRoot.inputs[0] <== slot[N - 1].accRootOut;
    newRoot.inputs[1] <== assetsRoot;
    newRoot.inputs[2] <== slot[N - 1].notesAccOut;
    newRoot.inputs[3] <== slot[N - 1].keysAccOut;

    // ---- E = slot elements ‖ extras ‖ exits, its commitment c and evaluation y at z
    signal E[7 * N];
    for (var i = 0; i < N; i++) {
        E[2 * i] <== slot[i].e0;
        E[2 * i + 1] <== slot[i].e1;
    }
    for (var j = 0; j < 3 * N; j++) E[2 * N + j] <== regData[j];
    for (var j = 0; j < 2 * N; j++) E[5 * N + j] <== exitData[j];

    component c = Sponge15(7 * N);
    c.v <== E;
    component z = Poseidon(3);
    z.inputs[0] <== kHi;
    z.inputs[1] <== kLo;
    z.inputs[2] <== c.out;
    component y = Horner(7 * N);
    y.v <== E;
    y.x <== z.out;

    // ---- the published extras/exit regions are the compaction of what the slots applied.
    // Checked as polynomial identities at z2, a challenge derived after both sides are fixed:
    // the regions through c, the applied values through the pre- and post-state roots and c, and
    // the applied values nothing else binds (bindings, observer keys) through `free`.
    signal free[N];
    for (var i = 0; i < N; i++) free[i] <== slot[i].free;
    component freeC = Sponge15(N);
    freeC.v <== free;
    component z2 = Poseidon(4);
    z2.inputs[0] <== z.out;
    z2.inputs[1] <== prevRoot.out;
    z2.inputs[2] <== newRoot.out;
    z2.inputs[3] <== freeC.out;
    signal z2sq <== z2.out * z2.out;
    signal z2cu <== z2sq * z2.out;

    component regEval = Horner(3 * N);
    regEval.v <== regData;
    regEval.x <== z2.out;
    component exitEval = Horner(2 * N);
    exitEval.v <== exitData;
    exitEval.x <== z2.out;

    signal regPow[N + 1];
    signal regSum[N + 1];
    signal regQ[N];
    signal regT1[N];
    signal regT2[N];
    signal regTerm[N];
    signal exPow[N + 1];
    signal exSum[N + 1];
    signal exQ[N];
    signal exT1[N];
    signal exTerm[N];
    regPow[0] <== 1;
    regSum[0] <== 0;
    exPow[0] <== 1;
    exSum[0] <== 0;
    for (var i = 0; i < N; i++) {
        regQ[i] <== slot[i].hasExtras * regPow[i];
        regT1[i] <== slot[i].extra1 * z2.out;
        regT2[i] <== slot[i].extra2 * z2sq;
        regTerm[i] <== regQ[i] * (slot[i].extra0 + regT1[i] + regT2[i]);
        regSum[i + 1] <== regSum[i] + regTerm[i];
        regPow[i + 1] <== regPow[i] + regQ[i] * (z2cu - 1);

        exQ[i] <== slot[i].isExit * exPow[i];
        exT1[i] <== slot[i].exitE1 * z2.out;
        exTerm[i] <== exQ[i] * (slot[i].exitE0 + exT1[i]);
        exSum[i + 1] <== exSum[i] + exTerm[i];
        exPow[i + 1] <== exPow[i] + exQ[i] * (z2sq - 1);
    }
    regEval.out === regSum[N];
    exitEval.out === exSum[N];

    component pub = Poseidon(6);
    pub.inputs[0] <== prevRoot.out;
    pub.inputs[1] <== newRoot.out;
    pub.inputs[2] <== kHi;
    pub.inputs[3] <== kLo;
    pub.inputs[4] <== c.out;
    pub.inputs[5] <== y.out;
    publicInput <== pub.out;
}
