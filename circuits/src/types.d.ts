// The iden3 JavaScript libraries ship without type declarations.
declare module 'ffjavascript';
declare module 'snarkjs';
declare module 'circomlibjs';
