/**
 * The validators this node may talk to over libp2p: active, or exiting and not revoked (still
 * staked, still handing off). The replication engine's last work list names them; before its
 * first, the indexer's active set decides. The p2p layer's peer gate asks here.
 */
export class ValidatorPeers {
  #known: ReadonlySet<string> | undefined;
  readonly #beforeFirstList: (peerId: string) => Promise<boolean>;

  constructor(beforeFirstList: (peerId: string) => Promise<boolean>) {
    this.#beforeFirstList = beforeFirstList;
  }

  /** The peer ids of the engine's newest work list. */
  learn(peerIds: ReadonlySet<string>): void {
    this.#known = peerIds;
  }

  async allows(peerId: string): Promise<boolean> {
    return this.#known?.has(peerId) ?? (await this.#beforeFirstList(peerId));
  }
}
