# mypy: disable-error-code="no-untyped-def"
"""Compiled (numba) kernels of the dial-a-ride search: exact route scheduling, best insertion, ruin and
recreate. Plain arrays only; :mod:`gongwu.routing.vrp.alns` builds them from a Problem and reads them back.

Node numbering: request r has pickup node 2r and drop-off node 2r+1; vehicle v has start node 2R+v and end
node 2R+V+v. A route is an int array ``start, stops…, end``. A rider already aboard at the start of the
batch is a *virtual* pickup pinned right after the start (``nfix`` of them per route).

The feasibility test is exact for the difference constraints (windows, travel, ride time, route duration):
the least schedule is the least fixpoint of monotone lower bounds, reached by at most one round per rider;
a schedule is feasible iff that fixpoint stays under every upper bound. No rule is relaxed, so a route this
code accepts is one the independent checker accepts (up to floating-point noise, kept under 1e-9 here).
"""

from __future__ import annotations

import numpy as np
from numba import njit

EPS = 1e-9
BIG = 1e18

# data tuple D:
# 0 loc, 1 early, 2 late, 3 serv, 4 dem, 5 ride, 6 npool, 7 virt, 8 allowed, 9 cap, 10 maxdist, 11 maxdur,
# 12 (unused), 13 prevveh, 14 tt, 15 dd, 16 nbr, 17 removable
# state tuple S: 0 rt, 1 rl, 2 where, 3 rcost, 4 EA, 5 LT, 6 LD


@njit(cache=True)
def seq_feasible(seq, m, v, D, B, lb, pos):
    """Capacity, pooling and an exact schedule test of the node sequence ``seq[:m]`` on vehicle ``v``."""
    loc, early, late, serv, dem = D[0], D[1], D[2], D[3], D[4]
    ride, npool, virt, cap, maxdur, tt = D[5], D[6], D[7], D[9], D[11], D[14]
    nreq2 = early.shape[0] - 2 * cap.shape[0]
    load = 0
    virt_np = 0
    seen_real = False
    for k in range(1, m - 1):
        x = seq[k]
        if x & 1 == 0:
            r = x >> 1
            if not virt[r]:
                seen_real = True
                if virt_np > 0:
                    return False
                if npool[r] and (load != 0 or seq[k + 1] != x + 1):
                    return False
            else:
                if seen_real:
                    return False
                if npool[r]:
                    virt_np += 1
        else:
            seen_real = True
            r = x >> 1
            if npool[r] and virt[r]:
                virt_np -= 1
        load += dem[x]
        if load > cap[v]:
            return False
    # exact schedule: least fixpoint of lower bounds
    for k in range(m):
        lb[k] = early[seq[k]]
    for k in range(1, m - 1):
        x = seq[k]
        if x < nreq2:
            pos[x] = k
    start = 0
    npairs = 0
    for k in range(1, m - 1):
        if seq[k] & 1 == 1:
            npairs += 1
    for _round in range(npairs + 3):
        if start == 0:
            B[0] = lb[0]
            if B[0] > late[seq[0]] + EPS:
                return False
            start = 1
        for k in range(start, m):
            a = seq[k - 1]
            x = seq[k]
            t = B[k - 1] + serv[a] + tt[loc[a], loc[x]]
            if lb[k] > t:
                t = lb[k]
            if t > late[x] + EPS:
                return False
            B[k] = t
        first = m
        for k in range(1, m - 1):
            x = seq[k]
            if x & 1 == 1:
                p = x - 1
                i = pos[p]
                lim = ride[x >> 1]
                if B[k] - B[i] - serv[p] > lim + EPS:
                    need = B[k] - serv[p] - lim
                    if need > lb[i]:
                        lb[i] = need
                        if i < first:
                            first = i
        if B[m - 1] - B[0] > maxdur[v] + EPS:
            need = B[m - 1] - maxdur[v]
            if need > lb[0]:
                lb[0] = need
                first = 0
        if first == m:
            return True
        start = first
    return False


@njit(cache=True)
def update_route(v, D, S):
    """Recompute the cached distance, earliest times, latest times and loads of route ``v``."""
    loc, early, late, serv, dem, tt, dd = D[0], D[1], D[2], D[3], D[4], D[14], D[15]
    rt, rl, rcost, EA, LT, LD = S[0], S[1], S[3], S[4], S[5], S[6]
    m = rl[v]
    row = rt[v]
    c = 0.0
    EA[v, 0] = early[row[0]]
    LD[v, 0] = 0
    for k in range(1, m):
        a = row[k - 1]
        x = row[k]
        c += dd[loc[a], loc[x]]
        t = EA[v, k - 1] + serv[a] + tt[loc[a], loc[x]]
        EA[v, k] = t if t > early[x] else early[x]
        LD[v, k] = LD[v, k - 1] + dem[x]
    LT[v, m - 1] = late[row[m - 1]]
    for k in range(m - 2, -1, -1):
        a = row[k]
        b = row[k + 1]
        t = LT[v, k + 1] - serv[a] - tt[loc[a], loc[b]]
        LT[v, k] = t if t < late[a] else late[a]
    rcost[v] = c


@njit(cache=True)
def _build(row, m, i, j, p, d, seq):
    """seq = row[:i] + p + row[i:j] + d + row[j:m]; returns its length."""
    n = 0
    for k in range(i):
        seq[n] = row[k]
        n += 1
    seq[n] = p
    n += 1
    for k in range(i, j):
        seq[n] = row[k]
        n += 1
    seq[n] = d
    n += 1
    for k in range(j, m):
        seq[n] = row[k]
        n += 1
    return n


@njit(cache=True)
def best_insertion(r, v, bound, blink, D, S, W):
    """Cheapest feasible insertion of request ``r`` in route ``v`` costing less than ``bound``.

    Returns (added distance, i, j): pickup goes before position i, drop-off before position j of the
    current route (j == i: right after the pickup). (BIG, -1, -1) if none.
    """
    loc, early, late, serv, dem, ride, npool, virt = D[0], D[1], D[2], D[3], D[4], D[5], D[6], D[7]
    allowed, cap, maxdist, tt, dd = D[8], D[9], D[10], D[14], D[15]
    rt, rl, rcost, EA, LT, LD = S[0], S[1], S[3], S[4], S[5], S[6]
    seq, B, lb, pos = W[0], W[1], W[2], W[3]
    best, bi, bj = bound, -1, -1
    if not allowed[r, v]:
        return BIG, -1, -1
    p = 2 * r
    d = p + 1
    q = dem[p]
    if q > cap[v]:
        return BIG, -1, -1
    budget = maxdist[v] - rcost[v]
    row = rt[v]
    m = rl[v]
    lp, ld_ = loc[p], loc[d]
    lim = ride[r]
    sp, sd = serv[p], serv[d]
    nv = 0  # riders aboard at the start come first
    while nv + 1 < m - 1 and row[nv + 1] & 1 == 0 and virt[row[nv + 1] >> 1]:
        nv += 1
    ilo, ihi = 1 + nv, m
    if virt[r]:
        ilo, ihi = 1, 2 + nv
    for i in range(ilo, ihi):
        a = row[i - 1]
        la = loc[a]
        if LD[v, i - 1] + q > cap[v]:
            continue
        if npool[r] and LD[v, i - 1] != 0:
            continue
        if EA[v, i - 1] > late[p] + EPS:
            break
        arr_p = EA[v, i - 1] + serv[a] + tt[la, lp]
        if arr_p < early[p]:
            arr_p = early[p]
        if arr_p > late[p] + EPS:
            continue
        b = row[i]
        lb_ = loc[b]
        # drop-off right after the pickup
        arr_d = arr_p + sp + tt[lp, ld_]
        if arr_d < early[d]:
            arr_d = early[d]
        if arr_d <= late[d] + EPS and arr_d - arr_p - sp <= lim + EPS and arr_d + sd + tt[ld_, lb_] <= LT[v, i] + EPS:
            delta = dd[la, lp] + dd[lp, ld_] + dd[ld_, lb_] - dd[la, lb_]
            if delta < best and delta <= budget + EPS and (blink == 0.0 or np.random.random() >= blink):
                n = _build(row, m, i, i, p, d, seq)
                if seq_feasible(seq, n, v, D, B, lb, pos):
                    best, bi, bj = delta, i, i
        if npool[r]:
            continue
        if arr_p + sp + tt[lp, lb_] > LT[v, i] + EPS:
            continue
        addp = dd[la, lp] + dd[lp, lb_] - dd[la, lb_]
        if addp >= best:
            continue
        reach = tt[lp, lb_]  # time from the end of pickup service to the arrival at row[j-1]
        for j in range(i + 1, m):
            c = row[j - 1]
            lc = loc[c]
            if j - 1 > i:
                prev = row[j - 2]
                reach += serv[prev] + tt[loc[prev], lc]
            if LD[v, j - 1] + q > cap[v]:
                break
            if reach > lim + EPS:
                break
            if EA[v, j - 1] > late[d] + EPS:
                break
            if reach + serv[c] + tt[lc, ld_] > lim + EPS:
                continue
            if EA[v, j - 1] + serv[c] + tt[lc, ld_] > late[d] + EPS:
                continue
            e = row[j]
            le = loc[e]
            delta = addp + dd[lc, ld_] + dd[ld_, le] - dd[lc, le]
            if delta >= best or delta > budget + EPS:
                continue
            if blink > 0.0 and np.random.random() < blink:
                continue
            n = _build(row, m, i, j, p, d, seq)
            if seq_feasible(seq, n, v, D, B, lb, pos):
                best, bi, bj = delta, i, j
    if bi < 0:
        return BIG, -1, -1
    return best, bi, bj


@njit(cache=True)
def insert_at(r, v, i, j, D, S, W):
    rt, rl, where = S[0], S[1], S[2]
    seq = W[0]
    m = rl[v]
    n = _build(rt[v], m, i, j, 2 * r, 2 * r + 1, seq)
    for k in range(n):
        rt[v, k] = seq[k]
    rl[v] = n
    where[r] = v
    update_route(v, D, S)


@njit(cache=True)
def remove_request(r, D, S):
    rt, rl, where = S[0], S[1], S[2]
    v = where[r]
    if v < 0:
        return
    p = 2 * r
    row = rt[v]
    m = rl[v]
    n = 0
    for k in range(m):
        x = row[k]
        if x != p and x != p + 1:
            row[n] = x
            n += 1
    rl[v] = n
    where[r] = -1
    update_route(v, D, S)


@njit(cache=True)
def extra_cost(r, v, D, stab):
    prev = D[13][r]
    if prev >= 0 and prev != v:
        return stab
    return 0.0


@njit(cache=True)
def total_cost(D, S, stab, unserved_pen):
    rcost, where = S[3], S[2]
    c = 0.0
    for v in range(rcost.shape[0]):
        c += rcost[v]
    prevveh = D[13]
    for r in range(where.shape[0]):
        w = where[r]
        if w < 0:
            c += unserved_pen
        elif prevveh[r] >= 0 and prevveh[r] != w:
            c += stab
    return c


@njit(cache=True)
def greedy_insert(order, cnt, blink, D, S, W, stab):
    """Insert requests ``order[:cnt]`` one by one at their cheapest feasible place (over all vehicles)."""
    nveh = S[1].shape[0]
    for t in range(cnt):
        r = order[t]
        best, bv, bi, bj = BIG, -1, -1, -1
        for v in range(nveh):
            ext = extra_cost(r, v, D, stab)
            delta, i, j = best_insertion(r, v, best - ext, blink, D, S, W)
            if i >= 0 and delta + ext < best:
                best, bv, bi, bj = delta + ext, v, i, j
        if bv >= 0:
            insert_at(r, bv, bi, bj, D, S, W)


@njit(cache=True)
def regret_insert(order, cnt, D, S, W, stab, kreg):
    """Regret-k insertion: repeatedly insert the request whose best place beats its k-th best the most."""
    nveh = S[1].shape[0]
    cost = np.full((cnt, nveh), BIG)
    pi = np.full((cnt, nveh), -1, np.int64)
    pj = np.full((cnt, nveh), -1, np.int64)
    done = np.zeros(cnt, np.bool_)
    for t in range(cnt):
        r = order[t]
        for v in range(nveh):
            delta, i, j = best_insertion(r, v, BIG, 0.0, D, S, W)
            if i >= 0:
                cost[t, v] = delta + extra_cost(r, v, D, stab)
                pi[t, v] = i
                pj[t, v] = j
    tmp = np.empty(nveh)
    for _step in range(cnt):
        bt, bscore = -1, -BIG
        for t in range(cnt):
            if done[t]:
                continue
            for v in range(nveh):
                tmp[v] = cost[t, v]
            tmp.sort()
            if tmp[0] >= BIG:
                continue
            score = 0.0
            for k in range(1, min(kreg, nveh)):
                score += (tmp[k] if tmp[k] < BIG else 1e9) - tmp[0]
            score = score * 1000.0 - tmp[0]
            if score > bscore:
                bscore, bt = score, t
        if bt < 0:
            break
        bv = 0
        for v in range(nveh):
            if cost[bt, v] < cost[bt, bv]:
                bv = v
        r = order[bt]
        insert_at(r, bv, pi[bt, bv], pj[bt, bv], D, S, W)
        done[bt] = True
        for t in range(cnt):
            if not done[t]:
                delta, i, j = best_insertion(order[t], bv, BIG, 0.0, D, S, W)
                if i >= 0:
                    cost[t, bv] = delta + extra_cost(order[t], bv, D, stab)
                    pi[t, bv] = i
                    pj[t, bv] = j
                else:
                    cost[t, bv] = BIG


@njit(cache=True)
def copy_state(src, dst):
    dst[0][:] = src[0]
    dst[1][:] = src[1]
    dst[2][:] = src[2]
    dst[3][:] = src[3]
    dst[4][:] = src[4]
    dst[5][:] = src[5]
    dst[6][:] = src[6]


@njit(cache=True)
def sync_rows(src, dst, touched):
    """Copy the routes flagged in ``touched`` (and the small per-request/vehicle arrays) from src to dst."""
    for v in range(touched.shape[0]):
        if touched[v]:
            m = max(src[1][v], dst[1][v])
            dst[0][v, :m] = src[0][v, :m]
            dst[4][v, :m] = src[4][v, :m]
            dst[5][v, :m] = src[5][v, :m]
            dst[6][v, :m] = src[6][v, :m]
    dst[1][:] = src[1]
    dst[2][:] = src[2]
    dst[3][:] = src[3]


@njit(cache=True)
def _pick_related(seed, q, removed, nrem, D, S):
    """Shaw removal: requests most related to ``seed`` (randomised toward the head of its list)."""
    nbr, removable, where = D[16], D[17], S[2]
    R = nbr.shape[0]
    cnt = nrem
    tries = 0
    while cnt < q and tries < 4 * R:
        tries += 1
        y = np.random.random()
        k = int((y**4) * R)
        r = nbr[seed, k]
        if not removable[r] or where[r] < 0:
            continue
        dup = False
        for t in range(cnt):
            if removed[t] == r:
                dup = True
                break
        if not dup:
            removed[cnt] = r
            cnt += 1
    return cnt


@njit(cache=True)
def _pick_strings(seed, q, removed, nrem, D, S):
    """SISR-like string removal: a run of consecutive stops around ``seed``'s neighbours in a few routes."""
    nbr, removable = D[16], D[17]
    rt, rl, where = S[0], S[1], S[2]
    R = nbr.shape[0]
    nveh = rl.shape[0]
    seen = np.zeros(nveh, np.bool_)
    cnt = nrem
    for k in range(R):
        if cnt >= q:
            break
        r = nbr[seed, k]
        v = where[r]
        if v < 0 or seen[v]:
            continue
        seen[v] = True
        m = rl[v]
        # find pickup position
        at = -1
        for t in range(1, m - 1):
            if rt[v, t] == 2 * r:
                at = t
                break
        length = 2 + int(np.random.random() * min(12, m - 2))
        s = at - int(np.random.random() * length)
        if s < 1:
            s = 1
        e = s + length
        if e > m - 1:
            e = m - 1
        for t in range(s, e):
            x = rt[v, t]
            rr = x >> 1
            if not removable[rr]:
                continue
            dup = False
            for u in range(cnt):
                if removed[u] == rr:
                    dup = True
                    break
            if not dup and cnt < q:
                removed[cnt] = rr
                cnt += 1
        if np.random.random() < 0.5 and cnt >= q // 2:
            break
    return cnt


@njit(cache=True)
def _pick_worst(q, removed, nrem, D, S):
    loc, dd, removable = D[0], D[15], D[17]
    rt, rl, where = S[0], S[1], S[2]
    R = where.shape[0]
    gain = np.full(R, -BIG)
    for v in range(rl.shape[0]):
        m = rl[v]
        for t in range(1, m - 1):
            x = rt[v, t]
            r = x >> 1
            if not removable[r]:
                continue
            a, b = rt[v, t - 1], rt[v, t + 1]
            g = dd[loc[a], loc[x]] + dd[loc[x], loc[b]] - dd[loc[a], loc[b]]
            if gain[r] <= -BIG:
                gain[r] = g
            else:
                gain[r] += g
    order = np.argsort(-gain)
    cnt = nrem
    navail = 0
    for r in range(R):
        if gain[r] > -BIG:
            navail += 1
    tries = 0
    while cnt < q and tries < 4 * R and navail > 0:
        tries += 1
        k = int((np.random.random() ** 3) * navail)
        r = order[k]
        dup = False
        for u in range(cnt):
            if removed[u] == r:
                dup = True
                break
        if not dup:
            removed[cnt] = r
            cnt += 1
    return cnt


@njit(cache=True)
def alns_chunk(D, cur, best, work, W, iters, temp, qmin, qmax, stab, unserved_pen, seed, weights, stats):
    """Run ``iters`` ruin-and-recreate iterations from ``cur`` at temperature ``temp``.

    Returns (current cost, best cost). ``stats`` counts [iterations, accepted, improved best].
    """
    if seed >= 0:
        np.random.seed(seed)
    removable = D[17]
    R = removable.shape[0]
    where = cur[2]
    cur_cost = total_cost(D, cur, stab, unserved_pen)
    best_cost = total_cost(D, best, stab, unserved_pen)
    nremovable = 0
    for r in range(R):
        if removable[r]:
            nremovable += 1
    if nremovable == 0:
        return cur_cost, best_cost
    removed = np.empty(R, np.int64)
    cum = np.cumsum(weights)
    touched = np.zeros(cur[1].shape[0], np.bool_)
    copy_state(cur, work)
    for _it in range(iters):
        wwhere = work[2]
        touched[:] = False
        q = qmin + int(np.random.random() * (qmax - qmin + 1))
        cnt = 0
        # unserved requests always get another try
        for r in range(R):
            if removable[r] and where[r] < 0:
                removed[cnt] = r
                cnt += 1
        base = cnt
        if q > nremovable - base:
            q = nremovable - base
        seed_r = -1
        for _t in range(50):
            s = int(np.random.random() * R)
            if removable[s] and wwhere[s] >= 0:
                seed_r = s
                break
        u = np.random.random() * cum[-1]
        op = 0
        while op < 3 and u > cum[op]:
            op += 1
        if seed_r < 0 or op == 0:
            while cnt < base + q:
                s = int(np.random.random() * R)
                if not removable[s] or wwhere[s] < 0:
                    continue
                dup = False
                for t in range(base, cnt):
                    if removed[t] == s:
                        dup = True
                        break
                if not dup:
                    removed[cnt] = s
                    cnt += 1
        elif op == 1:
            removed[cnt] = seed_r
            cnt = _pick_related(seed_r, base + q, removed, cnt + 1, D, work)
        elif op == 2:
            cnt = _pick_strings(seed_r, base + q, removed, cnt, D, work)
        else:
            cnt = _pick_worst(base + q, removed, cnt, D, work)
        for t in range(base, cnt):
            if wwhere[removed[t]] >= 0:
                touched[wwhere[removed[t]]] = True
            remove_request(removed[t], D, work)
        # recreate
        sel = np.random.random()
        order = removed[:cnt].copy()
        if sel < 0.15:
            regret_insert(order, cnt, D, work, W, stab, 2)
        else:
            if sel < 0.55:
                np.random.shuffle(order)
            elif sel < 0.8:
                key = np.empty(cnt)
                for t in range(cnt):
                    key[t] = D[1][2 * order[t]] + D[1][2 * order[t] + 1] + np.random.random() * 10.0
                order = order[np.argsort(key)]
            else:
                key = np.empty(cnt)
                for t in range(cnt):
                    key[t] = -(D[2][2 * order[t]] - D[1][2 * order[t]]) * 0.0 - D[4][2 * order[t]]
                    key[t] += np.random.random()
                order = order[np.argsort(key)]
            greedy_insert(order, cnt, 0.01, D, work, W, stab)
        for t in range(cnt):
            if wwhere[removed[t]] >= 0:
                touched[wwhere[removed[t]]] = True
        new_cost = total_cost(D, work, stab, unserved_pen)
        stats[0] += 1
        threshold = cur_cost - temp * np.log(np.random.random() + 1e-300)
        if new_cost < threshold:
            sync_rows(work, cur, touched)
            cur_cost = new_cost
            stats[1] += 1
            if new_cost < best_cost - 1e-9:
                copy_state(work, best)
                best_cost = new_cost
                stats[2] += 1
        else:
            sync_rows(cur, work, touched)
    return cur_cost, best_cost


@njit(cache=True)
def route_schedule(v, D, S, W):
    """The least feasible schedule of route ``v`` (service start per position), or an empty array."""
    rt, rl = S[0], S[1]
    seq, B, lb, pos = W[0], W[1], W[2], W[3]
    m = rl[v]
    for k in range(m):
        seq[k] = rt[v, k]
    if not seq_feasible(seq, m, v, D, B, lb, pos):
        return np.empty(0)
    return B[:m].copy()


@njit(cache=True)
def greedy_fill(order, D, S, W, stab):
    greedy_insert(order, order.shape[0], 0.0, D, S, W, stab)
