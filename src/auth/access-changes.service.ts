import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { defer, filter, Observable, switchMap } from 'rxjs';
import type { ServerSentEvent } from '../common/http/server-sent-events';
import { RedisChannel } from '../common/queue/redis-channel';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { AuthenticatedRequest } from './access.guard';
import { Principal } from './principal';

/** Whose access may have shrunk: a user's (membership, password, role, deletion) or one API key's (revoked). */
export interface AccessChange {
  userId?: string;
  apiKeyId?: string;
}

/** Why a stream ended; the client should reconnect, and is authorized again when it does. */
export type StreamEndReason = 'access-changed' | 'credentials-expired' | 'max-lifetime';

/**
 * Keeps long responses (event streams) within the access they were opened with. Whatever narrows access
 * publishes a change here, on Redis so every API process hears it; each open stream of that user or key
 * then checks its access again, as for a new request, and ends if it no longer holds. Streams also end
 * when their credential expires and after EVENT_STREAM_MAX_SEC, so a client reconnects and is authorized
 * again even after a change nobody announced.
 */
@Injectable()
export class AccessChangesService implements OnModuleDestroy {
  private readonly channel: RedisChannel<AccessChange>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'redisUrl' | 'queuePrefix' | 'eventStreamMaxSec'>,
  ) {
    this.channel = new RedisChannel(config.redisUrl, `${config.queuePrefix}:access-changes`, 'access changes');
  }

  /** Call after the change is stored. */
  publish(change: AccessChange): void {
    this.channel.publish(change);
  }

  /**
   * `events` for as long as the request's access lasts, then one `reconnect` event ({reason}) and the end.
   * After a change that concerns the caller, events are held back until the check is done, so nothing is
   * sent once access is gone. The request must have passed the accounts guard.
   */
  whileAuthorized(req: AuthenticatedRequest, events: Observable<ServerSentEvent>): Observable<ServerSentEvent> {
    const principal = req.principal!;
    const recheck = req.recheckAccess!;
    // Subscribed to changes before the events start, so no change between the two is missed.
    return defer(() => this.channel.messages()).pipe(
      switchMap((changes) =>
        this.guard(events, changes.pipe(filter((c) => concerns(c, principal))), principal, recheck),
      ),
    );
  }

  onModuleDestroy(): Promise<void> {
    return this.channel.close();
  }

  private guard(
    events: Observable<ServerSentEvent>,
    changes: Observable<AccessChange>,
    principal: Principal,
    recheck: () => Promise<void>,
  ): Observable<ServerSentEvent> {
    return new Observable<ServerSentEvent>((subscriber) => {
      let checking = 0;
      let eventsDone = false;
      let ended = false;
      const held: ServerSentEvent[] = [];
      const end = (reason: StreamEndReason): void => {
        if (ended) return;
        ended = true;
        held.length = 0;
        subscriber.next({ event: 'reconnect', data: { reason } });
        subscriber.complete();
      };
      const flush = (): void => {
        if (ended || checking) return;
        for (const event of held.splice(0)) subscriber.next(event);
        if (eventsDone) subscriber.complete();
      };

      const lifetimeMs = this.config.eventStreamMaxSec * 1000;
      const credentialMs = principal.expiresAt ? principal.expiresAt.getTime() - Date.now() : Infinity;
      const timer = setTimeout(
        () => end(credentialMs <= lifetimeMs ? 'credentials-expired' : 'max-lifetime'),
        Math.max(0, Math.min(lifetimeMs, credentialMs)),
      );
      const changeSubscription = changes.subscribe(() => {
        checking++;
        recheck().then(
          () => {
            checking--;
            flush();
          },
          () => end('access-changed'),
        );
      });
      const eventSubscription = events.subscribe({
        next: (event) => {
          if (ended) return;
          if (checking) held.push(event);
          else subscriber.next(event);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          eventsDone = true;
          flush();
        },
      });
      return () => {
        clearTimeout(timer);
        changeSubscription.unsubscribe();
        eventSubscription.unsubscribe();
      };
    });
  }
}

function concerns(change: AccessChange, principal: Principal): boolean {
  return (
    (change.userId !== undefined && change.userId === principal.userId) ||
    (change.apiKeyId !== undefined && change.apiKeyId === principal.apiKeyId)
  );
}
