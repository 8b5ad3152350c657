pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/babyjub.circom";
include "merkle.circom";
include "float40.circom";
include "eddsa.circom";

// meta = assetId + nonce·2^32 + accountType·2^72 + kycLevel·2^80 + flags·2^88 with flags < 2^8
// (the circuit's bound on flags; docs/CIRCUITS.md). The 96-bit decomposition makes every field
// unique, so a prover cannot move value between nonce and the fields above it.
template MetaDecode() {
    signal input meta;
    signal output assetId;
    signal output nonce;
    signal output banned;

    component bits = Num2Bits(96);
    bits.in <== meta;
    var a = 0;
    for (var i = 0; i < 32; i++) a += bits.out[i] * (1 << i);
    var n = 0;
    for (var i = 0; i < 40; i++) n += bits.out[32 + i] * (1 << i);
    assetId <== a;
    nonce <== n;
    banned <== bits.out[88];
}

// One transaction slot (docs/PROTOCOL.md "Transactions" and "Privacy"), applied to the accounts
// root and the notes / key-image accumulators.
// Two account units: the FROM unit (debited sender of TRANSFER / WITHDRAW / SHIELD; for REGISTER it
// instead proves that the asset is listed by opening leaf `assetId` of the assets tree) and the TO
// unit (credited recipient of TRANSFER / DEPOSIT / UNSHIELD, or the empty leaf a REGISTER fills).
// An idle unit opens an empty leaf and leaves it empty. Every rule of `applyTx` that the proof
// covers is a constraint (docs/CIRCUITS.md; ring signatures, ring membership, key-image freshness
// and the observer-key admin signature rest on the sequencer quorum); the only soft rule is a
// deposit's credit, which falls back to a refund exit.
template ApplySlot(A, D, CHAIN_ID) {
    var K = A == 2 ? 1 : (A == 4 ? 2 : 3);
    var IB = D * K;          // bits of an account index
    var HB = 32 - IB;        // bits of a deposit's `to` above the tree (forces a refund)

    // ---- chained state
    signal input accRootIn;
    signal input assetsRoot;
    signal input nextIndexIn;
    signal input depositsOnlyIn;   // 1 while every earlier slot was a deposit
    signal input activeIn;         // 1 while no earlier slot was a NOOP
    signal input notesAccIn;       // notes accumulator before the slot
    signal input keysAccIn;        // key-image accumulator before the slot
    signal output accRootOut;
    signal output notesAccOut;
    signal output keysAccOut;
    signal output nextIndexOut;
    signal output depositsOnlyOut;
    signal output activeOut;

    // ---- transaction
    signal input isDeposit;
    signal input isRegister;
    signal input isTransfer;
    signal input isWithdraw;
    signal input isShield;
    signal input isPrivate;        // PRIVATE_TRANSFER
    signal input isUnshield;
    signal input isObserverKey;
    signal input amountF;          // float40 amount of TRANSFER / WITHDRAW / SHIELD / PRIVATE_TRANSFER / UNSHIELD
    signal input depAmount;        // DEPOSIT amount (< 2^128)
    signal input depAsset;         // DEPOSIT asset id
    signal input depositor;        // DEPOSIT L1 depositor address
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;
    signal input noteX;            // SHIELD / PRIVATE_TRANSFER: the output's one-time key P;
    signal input noteY;            //   OBSERVER_KEY: the new observer key
    signal input keyImageTag;      // PRIVATE_TRANSFER / UNSHIELD: H(Ix, Iy) of the spent key image
    signal input binding;          // SHIELD / PRIVATE_TRANSFER / UNSHIELD: top 160 bits of the body hash
    signal input privAsset;        // PRIVATE_TRANSFER / UNSHIELD: assetId; OBSERVER_KEY: epoch;
                                   //   SHIELD: the sender's assetId

    // ---- FROM unit
    signal input fromIdx;
    signal input fromAx;
    signal input fromAy;
    signal input fromEth;
    signal input fromMeta;
    signal input fromBalance;
    signal input fromChildren[D][A];
    signal input assetLeaf;        // REGISTER: the asset's leaf in the assets tree

    // ---- TO unit
    signal input toIdx;
    signal input toHi;             // DEPOSIT: bits of `to` above the tree's index range
    signal input toEmpty;          // the opened leaf is empty (0)
    signal input toAx;
    signal input toAy;
    signal input toEth;
    signal input toMeta;
    signal input toBalance;
    signal input toChildren[D][A];
    signal input keyRootX;         // a point B with 8·B = the slot's point (prime-order subgroup):
    signal input keyRootY;         //   REGISTER's key, a note's one-time key, an observer key

    // ---- public data of the slot
    signal output e0;
    signal output e1;
    signal output hasExtras;       // the slot owns the next triple of the extras region
    signal output extra0;
    signal output extra1;
    signal output extra2;
    signal output free;            // the extras value no other part of the circuit binds
                                   //   (hashed into the compaction challenge, batch.circom)
    signal output isExit;
    signal output exitE0;
    signal output exitE1;

    // ================= types and ordering
    isDeposit * (isDeposit - 1) === 0;
    isRegister * (isRegister - 1) === 0;
    isTransfer * (isTransfer - 1) === 0;
    isWithdraw * (isWithdraw - 1) === 0;
    isShield * (isShield - 1) === 0;
    isPrivate * (isPrivate - 1) === 0;
    isUnshield * (isUnshield - 1) === 0;
    isObserverKey * (isObserverKey - 1) === 0;
    signal isL2 <== isRegister + isTransfer + isWithdraw + isShield + isPrivate + isUnshield + isObserverKey;
    signal anyTx <== isDeposit + isL2;
    anyTx * (anyTx - 1) === 0;
    signal fromActive <== isTransfer + isWithdraw + isShield;   // FROM unit debits, signature checked
    signal ringSpend <== isPrivate + isUnshield;                // spends a key image
    signal noteOut <== isShield + isPrivate;                    // appends a note
    signal privSel <== ringSpend + isObserverKey;               // record's `from` field is privAsset
    signal pointSel <== isRegister + noteOut + isObserverKey;   // a curve point must be in the subgroup
    signal bindSel <== isShield + ringSpend;                    // carries a body binding
    hasExtras <== isRegister + bindSel + isObserverKey;
    signal typeCode <== isRegister + 2 * isTransfer + 3 * isDeposit + 4 * isWithdraw + 5 * isShield
        + 6 * isPrivate + 7 * isUnshield + 16 * isObserverKey;

    // deposits come first (in L1 queue order, which the public data binds); NOOPs only pad the end
    isDeposit * (1 - depositsOnlyIn) === 0;
    depositsOnlyOut <== depositsOnlyIn * isDeposit;
    anyTx * (1 - activeIn) === 0;
    activeOut <== activeIn * anyTx;

    // ================= amounts
    component f40 = Float40Decode();
    f40.f <== amountF;
    component zeroMantissa = IsZero();
    zeroMantissa.in <== f40.mantissa;
    (fromActive + ringSpend) * zeroMantissa.out === 0;    // amount > 0
    (isRegister + isObserverKey) * amountF === 0;         // no amount field
    signal amount <== f40.value + isDeposit * (depAmount - f40.value);

    // ================= index bits
    component fromBits = Num2Bits(IB);
    fromBits.in <== fromIdx;
    component toBits = Num2Bits(IB);
    toBits.in <== toIdx;
    signal to32;
    if (HB > 0) {
        component hiBits = Num2Bits(HB);
        hiBits.in <== toHi;
        to32 <== toIdx + toHi * (1 << IB);
    } else {
        toHi === 0;
        to32 <== toIdx;
    }
    (1 - isDeposit) * toHi === 0;
    component hiZero = IsZero();
    hiZero.in <== toHi;

    // ================= FROM unit
    component fromM = MetaDecode();
    fromM.meta <== fromMeta;
    component hFromOld = Poseidon(5);
    hFromOld.inputs[0] <== fromAx;
    hFromOld.inputs[1] <== fromAy;
    hFromOld.inputs[2] <== fromEth;
    hFromOld.inputs[3] <== fromMeta;
    hFromOld.inputs[4] <== fromBalance;

    signal debit <== fromActive * f40.value;
    signal newFromBalance <== fromBalance - debit;
    // One 128-bit range check serves both the sender's new balance (no overdraft; amount ≤ balance
    // since balances are < 2^128 and the value < 2^139) and, in a deposit slot where the FROM unit
    // is idle, the deposit amount.
    signal ranged <== newFromBalance + isDeposit * (depAmount - newFromBalance);
    component rangeBits = Num2Bits(128);
    rangeBits.in <== ranged;

    component nonceMax = IsEqual();
    nonceMax.in[0] <== fromM.nonce;
    nonceMax.in[1] <== (1 << 40) - 1;
    fromActive * nonceMax.out === 0;
    fromActive * fromM.banned === 0;

    component hFromNew = Poseidon(5);
    hFromNew.inputs[0] <== fromAx;
    hFromNew.inputs[1] <== fromAy;
    hFromNew.inputs[2] <== fromEth;
    hFromNew.inputs[3] <== fromMeta + fromActive * (1 << 32);
    hFromNew.inputs[4] <== newFromBalance;

    component assetMissing = IsZero();
    assetMissing.in <== assetLeaf;
    isRegister * assetMissing.out === 0;
    signal regAssetLeaf <== isRegister * assetLeaf;
    signal fromOldHash <== fromActive * hFromOld.out;
    signal fromNewHash <== fromActive * hFromNew.out;

    component fromPath = PathUpdate(A, D);
    for (var i = 0; i < IB; i++) fromPath.indexBits[i] <== fromBits.out[i];
    for (var l = 0; l < D; l++) for (var j = 0; j < A; j++) fromPath.children[l][j] <== fromChildren[l][j];
    fromPath.oldLeaf <== fromOldHash + regAssetLeaf;
    fromPath.newLeaf <== fromNewHash + regAssetLeaf;
    // REGISTER opens the assets tree (read-only); everything else the accounts tree
    fromPath.oldRoot === accRootIn + isRegister * (assetsRoot - accRootIn);
    signal accMid <== fromPath.newRoot + isRegister * (accRootIn - fromPath.newRoot);

    // ================= notes and key images
    // privAsset: the asset of a note (SHIELD: the sender's), the epoch of an OBSERVER_KEY; one
    // 32-bit range check serves it and a deposit's asset id (the record's 4-byte field)
    signal asset32 <== depAsset + privSel * (privAsset - depAsset);
    component assetBits = Num2Bits(32);
    assetBits.in <== asset32;
    isShield * (privAsset - fromM.assetId) === 0;

    // cm = H(Px, Py, assetId, amount)
    component cm = Poseidon(4);
    cm.inputs[0] <== noteX;
    cm.inputs[1] <== noteY;
    cm.inputs[2] <== privAsset;
    cm.inputs[3] <== f40.value;
    // notesAcc' = H(notesAcc, cm) (SHIELD, PRIVATE_TRANSFER)
    component notesHash = Poseidon(2);
    notesHash.inputs[0] <== notesAccIn;
    notesHash.inputs[1] <== cm.out;
    notesAccOut <== notesAccIn + noteOut * (notesHash.out - notesAccIn);
    // one Poseidon(2) serves the two uses no slot has together:
    //   SHIELD: H(cm, binding), the `to` of the signed message;
    //   PRIVATE_TRANSFER / UNSHIELD: keysAcc' = H(keysAcc, tag)
    signal pairIn0 <== keysAccIn + isShield * (cm.out - keysAccIn);
    signal pairIn1 <== keyImageTag + isShield * (binding - keyImageTag);
    component pairHash = Poseidon(2);
    pairHash.inputs[0] <== pairIn0;
    pairHash.inputs[1] <== pairIn1;
    keysAccOut <== keysAccIn + ringSpend * (pairHash.out - keysAccIn);

    // binding < 2^160 (20 bytes of L1 calldata), 0 unless the slot carries one
    component bindingBits = Num2Bits(160);
    bindingBits.in <== binding;
    (1 - bindSel) * binding === 0;

    // ================= signature (TRANSFER / WITHDRAW / SHIELD)
    (isWithdraw + isShield + isPrivate + isObserverKey) * to32 === 0;
    signal msgTo <== to32 + isShield * pairHash.out;
    component msg = Poseidon(6);
    msg.inputs[0] <== typeCode;
    msg.inputs[1] <== CHAIN_ID;
    msg.inputs[2] <== fromIdx;
    msg.inputs[3] <== msgTo;
    msg.inputs[4] <== f40.value;
    msg.inputs[5] <== fromM.nonce;
    component sig = EdDSAPoseidonLite();
    sig.enabled <== fromActive;
    sig.Ax <== fromAx;
    sig.Ay <== fromAy;
    sig.S <== sigS;
    sig.R8x <== sigR8x;
    sig.R8y <== sigR8y;
    sig.M <== msg.out;

    // ================= TO unit
    toEmpty * (toEmpty - 1) === 0;
    component toM = MetaDecode();
    toM.meta <== toMeta;
    component hToOld = Poseidon(5);
    hToOld.inputs[0] <== toAx;
    hToOld.inputs[1] <== toAy;
    hToOld.inputs[2] <== toEth;
    hToOld.inputs[3] <== toMeta;
    hToOld.inputs[4] <== toBalance;
    signal toOldLeaf <== (1 - toEmpty) * hToOld.out;

    // balance + amount < 2^128 (bit 128 is the overflow flag; both terms are < 2^128)
    component sumBits = Num2Bits(129);
    sumBits.in <== toBalance + amount;
    signal overflow <== sumBits.out[128];

    component sameAsset = IsEqual();
    sameAsset.in[0] <== toM.assetId;
    sameAsset.in[1] <== depAsset;

    // DEPOSIT: credit iff the account exists, is not banned, holds the asset and does not overflow
    signal ok1 <== (1 - toEmpty) * (1 - toM.banned);
    signal ok2 <== ok1 * sameAsset.out;
    signal ok3 <== ok2 * (1 - overflow);
    signal ok4 <== ok3 * hiZero.out;
    signal credited <== isDeposit * ok4;
    signal refund <== isDeposit - credited;

    // TRANSFER / UNSHIELD: the recipient exists, is not banned, does not overflow, holds the
    // sender's asset (TRANSFER) or the note's (UNSHIELD); a TRANSFER's recipient is not the sender
    signal credits <== isTransfer + isUnshield;
    credits * toEmpty === 0;
    credits * toM.banned === 0;
    credits * overflow === 0;
    isTransfer * (toM.assetId - fromM.assetId) === 0;
    isUnshield * (toM.assetId - privAsset) === 0;
    component selfTransfer = IsEqual();
    selfTransfer.in[0] <== fromIdx;
    selfTransfer.in[1] <== to32;
    isTransfer * selfTransfer.out === 0;

    // REGISTER: an empty leaf at nextIndex becomes (key, ethAddress, assetId, nonce 0, balance 0);
    // the asset is listed (FROM unit opened its leaf at index assetId).
    // The point of the slot — REGISTER's key, a note's one-time key P, an OBSERVER_KEY's key — is
    // B·8 for a point B on the curve, hence in the prime-order subgroup, and not the identity.
    isRegister * (1 - toEmpty) === 0;
    isRegister * (toIdx - nextIndexIn) === 0;
    nextIndexOut <== nextIndexIn + isRegister;
    isRegister * (toMeta - toM.assetId) === 0;
    isRegister * toBalance === 0;
    isRegister * (fromIdx - toM.assetId) === 0;
    component keyOnCurve = BabyCheck();
    keyOnCurve.x <== keyRootX;
    keyOnCurve.y <== keyRootY;
    component k1 = BabyDbl();
    k1.x <== keyRootX;
    k1.y <== keyRootY;
    component k2 = BabyDbl();
    k2.x <== k1.xout;
    k2.y <== k1.yout;
    component k3 = BabyDbl();
    k3.x <== k2.xout;
    k3.y <== k2.yout;
    signal ptX <== toAx + (noteOut + isObserverKey) * (noteX - toAx);
    signal ptY <== toAy + (noteOut + isObserverKey) * (noteY - toAy);
    pointSel * (k3.xout - ptX) === 0;
    pointSel * (k3.yout - ptY) === 0;
    component keyIdentity = IsZero();
    keyIdentity.in <== ptX;
    pointSel * keyIdentity.out === 0;

    signal credit <== amount * (credits + credited);
    component hToNew = Poseidon(5);
    hToNew.inputs[0] <== toAx;
    hToNew.inputs[1] <== toAy;
    hToNew.inputs[2] <== toEth;
    hToNew.inputs[3] <== toMeta;
    hToNew.inputs[4] <== toBalance + credit;
    signal toChanged <== isRegister + credits + credited;
    signal toNewLeaf <== toOldLeaf + toChanged * (hToNew.out - toOldLeaf);

    component toPath = PathUpdate(A, D);
    for (var i = 0; i < IB; i++) toPath.indexBits[i] <== toBits.out[i];
    for (var l = 0; l < D; l++) for (var j = 0; j < A; j++) toPath.children[l][j] <== toChildren[l][j];
    toPath.oldLeaf <== toOldLeaf;
    toPath.newLeaf <== toNewLeaf;
    toPath.oldRoot === accMid;
    accRootOut <== toPath.newRoot;

    // ================= public data elements
    // L2 record: type (1 byte) ‖ from (4) ‖ to (4) ‖ float40 (5); REGISTER: from = new index,
    // to = asset; PRIVATE_TRANSFER / UNSHIELD: from = asset; OBSERVER_KEY: from = epoch
    signal recFromReg <== fromIdx + isRegister * (toIdx - fromIdx);
    signal recFrom <== recFromReg + privSel * (privAsset - recFromReg);
    signal recTo <== to32 + isRegister * (fromIdx - to32);
    signal l2Elem <== isL2 * (typeCode * (1 << 104) + recFrom * (1 << 72) + recTo * (1 << 40) + amountF);
    signal depElem <== isDeposit * (3 * (1 << 192) + to32 * (1 << 160) + depAsset * (1 << 128) + depAmount);
    e0 <== l2Elem + depElem;
    e1 <== isDeposit * depositor;

    // extras triple: REGISTER (ax, ay, ethAddress) · SHIELD (cm, 0, binding)
    //   · PRIVATE_TRANSFER (tag, cm, binding) · UNSHIELD (tag, 0, binding) · OBSERVER_KEY (kx, ky, 0)
    // (ptX, ptY) is REGISTER's key or OBSERVER_KEY's; binding is 0 for both
    signal keyOrCm <== keyImageTag + isShield * (cm.out - keyImageTag);
    extra0 <== keyOrCm + (isRegister + isObserverKey) * (ptX - keyOrCm);
    signal privCm <== isPrivate * cm.out;
    extra1 <== privCm + (isRegister + isObserverKey) * ptY;
    extra2 <== binding + isRegister * toEth;
    // the binding and the observer key are bound by nothing else: committed before the challenge.
    // kx suffices for the key: of the two points (kx, ±ky) on the curve only one is in the
    // prime-order subgroup (the other is its sum with the 2-torsion point, negated), which the
    // point check above enforces.
    free <== binding + isObserverKey * noteX;

    isExit <== isWithdraw + refund;
    signal exitRecipient <== depositor + isWithdraw * (fromEth - depositor);
    signal exitAsset <== depAsset + isWithdraw * (fromM.assetId - depAsset);
    exitE0 <== exitRecipient * (1 << 32) + exitAsset;
    exitE1 <== amount;
}
