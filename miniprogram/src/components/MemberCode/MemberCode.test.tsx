import { act, render } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { errorAnswer, fakeApi } from '../../test/api';
import { setToken } from '../../services/storage';
import { MEMBER_CODE_REFRESH_MS, MEMBER_CODE_RETRY_MS, MemberCode } from './index';

const T0 = Date.parse('2026-11-22T10:00:00Z');

function codes() {
  let n = 0;
  return () => {
    n++;
    return {
      body: {
        code: `JFM1.k${n}.mhz4k1q0.0123456789abcdef0123`,
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
        refreshAfterSeconds: 30,
      },
    };
  };
}

const shown = (c: HTMLElement) => c.querySelector('#member-code-qr')?.getAttribute('data-code') ?? null;

async function flush() {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(0);
  });
}

describe('MemberCode', () => {
  it('shows the code as QR and barcode and replaces it every 30 s', async () => {
    vi.useFakeTimers({ now: T0 });
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi().on('GET /api/member/me/code', codes());
    const { container } = render(<MemberCode active />);
    await flush();
    expect(shown(container)).toBe('JFM1.k1.mhz4k1q0.0123456789abcdef0123');
    expect(container.querySelector('#member-code-barcode')?.getAttribute('data-code')).toBe(shown(container));
    expect(container.querySelectorAll('#member-code-qr > div').length).toBeGreaterThan(50);

    await act(async () => {
      await vi.advanceTimersByTimeAsync(MEMBER_CODE_REFRESH_MS - 1);
    });
    expect(api.calls('GET /api/member/me/code')).toHaveLength(1);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1);
    });
    expect(shown(container)).toBe('JFM1.k2.mhz4k1q0.0123456789abcdef0123');
    await act(async () => {
      await vi.advanceTimersByTimeAsync(MEMBER_CODE_REFRESH_MS * 3);
    });
    expect(api.calls('GET /api/member/me/code')).toHaveLength(5);
  });

  it('refreshes sooner when the server asks, never later than 30 s', async () => {
    vi.useFakeTimers({ now: T0 });
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi().on('GET /api/member/me/code', () => ({
      body: { code: 'JFM1.a.b.c', expiresAt: new Date(Date.now() + 600_000).toISOString(), refreshAfterSeconds: 10 },
    }));
    render(<MemberCode active />);
    await flush();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(10_000);
    });
    expect(api.calls('GET /api/member/me/code')).toHaveLength(2);
  });

  it('stops refreshing while the page is hidden and starts again when shown', async () => {
    vi.useFakeTimers({ now: T0 });
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi().on('GET /api/member/me/code', codes());
    const { rerender } = render(<MemberCode active />);
    await flush();
    rerender(<MemberCode active={false} />);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(MEMBER_CODE_REFRESH_MS * 4);
    });
    expect(api.calls('GET /api/member/me/code')).toHaveLength(1);
    rerender(<MemberCode active />);
    await flush();
    expect(api.calls('GET /api/member/me/code')).toHaveLength(2);
  });

  it('hides a code past its expiry instead of showing it stale, and retries after a failure', async () => {
    vi.useFakeTimers({ now: T0 });
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi().on(
      'GET /api/member/me/code',
      { body: { code: 'JFM1.x.y.z', expiresAt: new Date(T0 + 20_000).toISOString(), refreshAfterSeconds: 30 } },
      errorAnswer(500, 'INTERNAL'),
      { body: { code: 'JFM1.back.y.z', expiresAt: new Date(T0 + 600_000).toISOString(), refreshAfterSeconds: 30 } },
    );
    const { container } = render(<MemberCode active />);
    await flush();
    expect(shown(container)).toBe('JFM1.x.y.z');
    await act(async () => {
      await vi.advanceTimersByTimeAsync(20_000);
    });
    expect(shown(container)).toBeNull();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(10_000);
    });
    expect(container.querySelector('#member-code-error')?.getAttribute('data-code')).toBe('INTERNAL');
    await act(async () => {
      await vi.advanceTimersByTimeAsync(MEMBER_CODE_RETRY_MS);
    });
    expect(shown(container)).toBe('JFM1.back.y.z');
    expect(container.querySelector('#member-code-error')).toBeNull();
    expect(api.calls('GET /api/member/me/code')).toHaveLength(3);
  });

  it('the refresh button fetches a new code at once', async () => {
    vi.useFakeTimers({ now: T0 });
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi().on('GET /api/member/me/code', codes());
    const { container } = render(<MemberCode active />);
    await flush();
    act(() => (container.querySelector('#member-code-refresh') as HTMLButtonElement).click());
    await flush();
    expect(api.calls('GET /api/member/me/code')).toHaveLength(2);
    expect(shown(container)).toBe('JFM1.k2.mhz4k1q0.0123456789abcdef0123');
  });
});

describe('MemberCode expiry', () => {
  it('a code is hidden at its expiry even while refreshes keep failing', async () => {
    vi.useFakeTimers({ now: T0 });
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi().on(
      'GET /api/member/me/code',
      { body: { code: 'JFM1.only.y.z', expiresAt: new Date(T0 + 60_000).toISOString(), refreshAfterSeconds: 30 } },
      errorAnswer(500, 'INTERNAL'),
    );
    const { container } = render(<MemberCode active />);
    await flush();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(59_000);
    });
    // Refreshes at 30 s, 40 s and 50 s failed; the code is still valid and shown, with the error.
    expect(shown(container)).toBe('JFM1.only.y.z');
    expect(container.querySelector('#member-code-error')).not.toBeNull();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1_000);
    });
    expect(shown(container)).toBeNull();
  });

  it('codes valid far into the future do not overflow the timer', async () => {
    vi.useFakeTimers({ now: T0 });
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi().on('GET /api/member/me/code', {
      body: { code: 'JFM1.long.y.z', expiresAt: '2099-01-01T00:00:00.000Z', refreshAfterSeconds: 30 },
    });
    const { container } = render(<MemberCode active />);
    await flush();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(10);
    });
    expect(shown(container)).toBe('JFM1.long.y.z');
  });
});
