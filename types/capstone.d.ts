// Types for the parts of @alexaltea/capstone-js and @alexaltea/keystone-js this project uses.
declare module '@alexaltea/capstone-js' {
  export interface CsInstruction {
    id: number;
    address: bigint;
    size: number;
    bytes: number[];
    mnemonic: string;
    op_str: string;
  }
  export interface CsDecoder {
    disasm(buffer: ArrayLike<number>, offset: number | bigint, max?: number): CsInstruction[];
    close(): void;
  }
  export interface CsModule {
    Capstone: new (arch: number, mode: number) => CsDecoder;
    ARCH_X86: number;
    ARCH_PPC: number;
    MODE_32: number;
    MODE_64: number;
    MODE_BIG_ENDIAN: number;
  }
  const factory: () => Promise<CsModule>;
  export default factory;
}
declare module '@alexaltea/keystone-js' {
  export interface KsAssembler {
    asm(
      source: string,
      address?: number | bigint,
    ): { mc: Uint8Array | number[]; failed?: boolean; count?: number };
    close(): void;
  }
  export interface KsModule {
    Keystone: new (arch: number, mode: number) => KsAssembler;
    ARCH_X86: number;
    ARCH_PPC: number;
    MODE_32: number;
    MODE_64: number;
    MODE_PPC64: number;
    MODE_BIG_ENDIAN: number;
  }
  const factory: () => Promise<KsModule>;
  export default factory;
}
