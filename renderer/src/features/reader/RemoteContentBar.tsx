export interface RemoteContentBarProps {
  /** Remote images blocked in this message (sanitizeMessageHtml's blockedRemote). */
  blocked: number;
  /** Tracking pixels found; they never load, the bar only mentions them. */
  trackers?: number;
  /** The sender's address, for "Always for …"; without one that button is not offered. */
  sender: string | null;
  onLoadOnce: () => void;
  onAlwaysForSender: (address: string) => void;
}

/** "Petrel blocked N remote images…": shown only while something is blocked. */
export function RemoteContentBar({ blocked, trackers = 0, sender, onLoadOnce, onAlwaysForSender }: RemoteContentBarProps) {
  if (blocked <= 0) return null;
  const images = blocked === 1 ? '1 remote image' : `${blocked.toLocaleString()} remote images`;
  return (
    <div className="reader-remote-bar" role="region" aria-label="Remote content">
      <p>
        Petrel blocked {images} to protect your privacy.
        {trackers > 0 && (
          <span className="muted">
            {' '}
            {trackers === 1 ? '1 tracking pixel stays' : `${trackers.toLocaleString()} tracking pixels stay`} blocked.
          </span>
        )}
      </p>
      <div className="reader-remote-actions">
        <button type="button" onClick={onLoadOnce}>
          Load remote images
        </button>
        {sender && (
          <button type="button" onClick={() => onAlwaysForSender(sender)}>
            Always for {sender}
          </button>
        )}
      </div>
    </div>
  );
}
