/**
 * Value tags of Gatio's compact codec. Each encoded value starts with one Int32 tag word.
 * Fast paths cover what tasks pass most (numbers, strings, bytes, plain objects and arrays);
 * everything else is a SERIALIZED value: structured-clone bytes (./clone.ts).
 */
export const TAG_UNDEFINED = 0;
export const TAG_NULL = 1;
export const TAG_TRUE = 2;
export const TAG_FALSE = 3;
export const TAG_INT32 = 4; // tag, value
export const TAG_FLOAT64 = 5; // tag, pad to 8, 8 bytes
export const TAG_STRING = 6; // tag, byte length, UTF-8 bytes padded to 4
export const TAG_BYTES = 7; // tag, byte length, flags (1 = Buffer), bytes padded to 4
export const TAG_ARRAY = 8; // tag, count, values
export const TAG_OBJECT = 9; // tag, count, (key string, value) pairs
export const TAG_SERIALIZED = 10; // tag, byte length, structured-clone bytes padded to 4
export const TAG_STRING16 = 11; // tag, byte length, UTF-16LE code units padded to 4 (lone surrogates)
