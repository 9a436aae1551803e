/**
 * Member (mini-program) authentication: `Authorization: Bearer <token>` from POST /api/member/session.
 * 401 UNAUTHENTICATED tells the app to renew with wx.login; 403 MEMBER_NOT_REGISTERED sends it to signup.
 */
import { JifenError } from '@jifen/shared';
import type Koa from 'koa';
import { resolveMemberSession } from '../../../commands/member-session.js';
import type { MemberApiDeps, MemberSession } from '../../../commands/member-session.js';
import type { MemberRow } from '../../../repositories/member.repository.js';
import type { AppContext, AppState, Services } from '../../context.js';

declare module '../../context.js' {
  interface AppState {
    memberSession?: MemberSession;
  }
}

/** The member commands' dependencies; `now` is read per request. */
export function memberDeps(services: Services): MemberApiDeps {
  return { db: services.db, cipher: services.cipher, codes: services.codes, mp: services.mp, now: () => services.now() };
}

function bearer(header: string): string | null {
  const m = /^Bearer\s+([\w-]{16,128})$/.exec(header.trim());
  return m?.[1] ?? null;
}

/** A live session: the WeChat user, registered or not. */
export function requireMember(services: Services): Koa.Middleware<AppState> {
  return async (ctx, next) => {
    const token = bearer(ctx.get('authorization'));
    if (!token) throw new JifenError('UNAUTHENTICATED', 'sign in first: Authorization: Bearer <token> from POST /api/member/session');
    ctx.state.memberSession = await resolveMemberSession(memberDeps(services), token);
    await next();
  };
}

/** A live session of a registered, active member. */
export function requireRegistered(services: Services): Koa.Middleware<AppState> {
  const session = requireMember(services);
  return (ctx, next) =>
    session(ctx, async () => {
      if (!ctx.state.memberSession?.member) throw new JifenError('MEMBER_NOT_REGISTERED', 'register first: POST /api/member/register');
      await next();
    });
}

export function sessionOf(ctx: AppContext): MemberSession {
  const s = ctx.state.memberSession;
  if (!s) throw new JifenError('UNAUTHENTICATED', 'no member session');
  return s;
}

export function memberOf(ctx: AppContext): MemberRow {
  const m = sessionOf(ctx).member;
  if (!m) throw new JifenError('MEMBER_NOT_REGISTERED', 'register first: POST /api/member/register');
  return m;
}
