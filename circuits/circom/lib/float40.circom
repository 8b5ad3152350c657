pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";

// float40 f = e·2^35 + m denotes m·10^e (m < 2^35, e < 32). Range-checks f to 40 bits.
// The value is below 2^35·10^31 < 2^139, far from the field size, so no wrap-around.
template Float40Decode() {
    signal input f;
    signal output value;
    signal output mantissa;

    component bits = Num2Bits(40);
    bits.in <== f;
    var m = 0;
    for (var i = 0; i < 35; i++) m += bits.out[i] * (1 << i);
    mantissa <== m;

    // 10^e = Π_k (10^(2^k))^(e_k)
    signal pow[5];
    pow[0] <== 1 + bits.out[35] * 9;
    var p10 = 10;
    for (var k = 1; k < 5; k++) {
        p10 = p10 * p10;
        pow[k] <== pow[k - 1] * (1 + bits.out[35 + k] * (p10 - 1));
    }
    value <== mantissa * pow[4];
}
