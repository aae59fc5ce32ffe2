"""The workforce: posts and the people in them, day by day.

The team is a set of funded **posts**. Each is held by a permanent, newly
qualified or agency worker, or is vacant. A post's *target* is permanent or
agency: the scenario's agency headcount sets the target agency share. When a
worker leaves (turnover, rising with pressure; or rather than take NAAS), their
cases go back on the unallocated list, each with a handover cost when taken
over, and the post falls vacant: a permanent post is recruited to after a
delay and, if the council fills vacancies with agency, covered meanwhile by an
agency worker (within the agency cap) who goes when the recruit starts; an
agency post is refilled by agency. New arrivals ramp up; newly qualified workers
leave their protected year after ``asye_days``.

Triage goes to the day's duty worker (the rota's turn, or the next one at work);
triage queued with someone who goes away passes to the next on duty, and with
nobody at work referrals wait at the front door until someone is.

Once a day (a callback at the start of each working day) this module brings
people back, applies leave, sickness and leaving, NAAS and cover, and closes
cases left waiting too long where the scenario says so. Who joined, was away,
left or changed terms, and which posts fell vacant, goes to the event log; the
daily team records are built from it after the run. With none of these
mechanisms switched on the team is fixed and no daily event is scheduled at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from ..scenario import AGENCY, EXPERIENCED, NEWLY_QUALIFIED, TYPE, WORKER_TYPES
from ..scenario.distributions import Sampler
from . import events as ev
from .absence import Absence, Uniforms, pressure, pressure_multiplier
from .allocation import BoardedWorker
from .cover import Cover
from .naas import Naas
from .roles import World
from .scheduled import Scheduled
from .streams import Streams
from .task import Task
from .worker import Worker
from .working_hours import WorkingHours

_PROTECTED = frozenset(k for k in WORKER_TYPES if TYPE[k].protected_year)


class Post:
    __slots__ = ("index", "target", "holder", "recruiting", "agency_due")

    def __init__(self, index: int, target: str) -> None:
        self.index, self.target = index, target
        self.holder: Worker | None = None
        self.recruiting = False
        self.agency_due = 0  # the number of the agency request outstanding (0: none)


class Workforce:
    def __init__(self, sim: World, streams: Streams) -> None:
        self.sim, self.env, self.log = sim, sim.env, sim.log
        sc = self.scenario = sim.scenario
        self.streams = streams
        self.in_post: list[Worker] = []  # everyone working in the team now (live list)
        self.everyone: list[Worker] = []  # everyone who ever did, for the records
        self.posts: list[Post] = []
        self.front_door: list[Task] = []  # triage waiting for anyone to be at work
        self._rota_day: tuple = ()  # (day, on duty, in post) the rota below was built for
        self._rota: list[Worker] = []
        self._rota_turn = 0
        self._agency_requests = 0
        self._due: dict[int, list[Callable[[int], None]]] = defaultdict(list)
        self._samplers: dict[str, Sampler] = {}
        self._recruit_kind = Uniforms(streams.get("recruitment.newly_qualified"))
        team = sc.team
        kinds = [k for k in WORKER_TYPES for _ in range(getattr(team, k))]
        for kind in kinds:
            post = self._new_post(AGENCY if TYPE[kind].agency else EXPERIENCED)
            self.hire(post.index, kind, ramp=False)
        self.absence = Absence(
            sc.absence,
            streams,
            len(kinds) + team.vacant,
            sim.n_days,
            sim.calendar.working_days_per_year,
            sim.calendar.leave_years(),
        )
        self.cover = Cover(sc.cover, self, AGENCY)
        self.naas = Naas(sc.naas, self, streams)
        self.scheduled = Scheduled(sc.events, self)  # draws nothing: streams stay common
        self.hours = WorkingHours(sc.overtime, streams.get("overtime.personal_limits"))
        self._turnover = {
            p.index: Uniforms(streams.get(f"turnover.post{p.index}")) for p in self.posts
        }
        for _ in range(team.vacant):
            post = self._new_post(EXPERIENCED)
            self._turnover[post.index] = Uniforms(streams.get(f"turnover.post{post.index}"))
            self._vacate(post, 0)
        # each kind's base chance of leaving on a working day (the daily tick reads it)
        self._leaving_per_day = {
            k: getattr(sc.workforce, k).leaving_rate_per_year / self.absence.days_per_year
            for k in WORKER_TYPES
        }
        staffed = [k for k in WORKER_TYPES if getattr(team, k) > 0]
        rates = [getattr(sc.workforce, k).leaving_rate_per_year for k in staffed]
        self.active = (
            self.absence.active
            or self.naas.active
            or self.scheduled.active
            or self.hours.active
            or sc.allocation.close_unallocated_after_days is not None
            or team.vacant > 0
            or any(r > 0 for r in rates)
            or (team.newly_qualified > 0 and sc.workforce.asye_days < sim.n_days)
        )

    # --- people -------------------------------------------------------------------------

    def _new_post(self, target: str) -> Post:
        post = Post(len(self.posts), target)
        self.posts.append(post)
        return post

    def hire(self, post: int, kind: str, ramp: bool = True) -> Worker:
        sc = self.scenario
        spec = getattr(sc.workforce, kind)
        day = sc.team.contract_day_hours
        w = BoardedWorker(
            self.sim.unallocated.board,
            self.env,
            self.log,
            len(self.everyone),
            kind,
            spec.fte,
            spec.caseload_cap * spec.fte,
            day * spec.fte * (1.0 - spec.non_case_fraction),
            day * spec.fte,
            sc.overtime.max_hours_per_day if sc.overtime.enabled else 0.0,
            post=post,
            day_cost=spec.day_cost_gbp,
            paid_when_absent=spec.paid_when_absent,
        )
        if ramp and spec.ramp_up_days > 0:
            w.ramp_until, w.ramp = self.env.now + spec.ramp_up_days, spec.ramp_up_productivity
            # the task in hand at the ramp's end goes on at the full rate
            self.env.call_in(spec.ramp_up_days, lambda _e, w=w: w.end_ramp())
        w.joined()
        self.everyone.append(w)
        self.in_post.append(w)
        if post >= 0:
            self.posts[post].holder = w
            self.log.posts.append((post, self.env.now, False, spec.fte))
        return w

    def let_go(self, worker: Worker, reason: str, vacate: bool = True) -> None:
        """A worker leaves: cases back on the list, duty work to the rota, post vacant.

        ``vacate=False`` when the post is being filled (an interim making way for
        the recruit): no new recruitment is started for it.
        """
        self.in_post.remove(worker)  # first: no duty task can come back to them
        for case in list(worker.held):
            self.sim.move_case(case, reason=ev.LEAVER)
        for task in worker.leave_job(reason):
            if task.item is not None:  # triage of a referral, covered case work: the rota
                self.to_duty(task)
        post = self.posts[worker.post] if worker.post >= 0 else None
        if post is not None:
            self.absence.owed.pop(post.index, None)  # put-off leave goes with the person
        if vacate and post is not None and post.holder is worker:
            self._vacate(post, int(self.env.now))
        cover = self.cover.absent_left(worker)
        if cover is not None:
            if post is not None and post.holder is None and post.agency_due:
                # an agency interim was just asked for (within the cap): the worker
                # covering the absence is already here, with the cases
                post.agency_due = 0
                post.holder = cover
                cover.take_post(post.index)
                fte = getattr(self.scenario.workforce, post.target).fte
                self.log.posts.append((post.index, self.env.now, False, fte))
            else:
                self.let_go(cover, "end of sickness cover (worker left)")
        self.sim.unallocated.capacity_changed()

    def _vacate(self, post: Post, day: int) -> None:
        post.holder = None
        fte = getattr(self.scenario.workforce, post.target).fte
        self.log.posts.append((post.index, self.env.now, True, fte))
        rec = self.scenario.recruitment
        if not rec.replace_leavers:
            return
        if TYPE[post.target].agency:
            self._agency_fill(post, day)
            return
        if not post.recruiting:
            post.recruiting = True
            delay = self.draw_days(rec.permanent_fill_days, "recruitment.permanent")
            self.schedule(day + delay, lambda d, p=post: self._recruit_starts(p))
        if rec.agency_instead_of_vacancy:
            self._agency_fill(post, day)

    def _agency_fill(self, post: Post, day: int) -> None:
        """Ask an agency for someone for this post (interim cover stays within the cap)."""
        if post.agency_due:
            return
        if not TYPE[post.target].agency:
            agency = sum(1 for w in self.in_post if TYPE[w.kind].agency and w.post >= 0)
            due = sum(1 for p in self.posts if p.agency_due)
            cap = self.scenario.recruitment.agency_cap_share * len(self.posts)
            if agency + due + 1 > cap + 1e-9:
                return
        self._agency_requests += 1
        post.agency_due = token = self._agency_requests
        delay = self.draw_days(self.scenario.recruitment.agency_fill_days, "recruitment.agency")
        self.schedule(day + delay, lambda d, p=post, t=token: self._agency_starts(p, t))

    def _recruit_starts(self, post: Post) -> None:
        post.recruiting = False
        if post.holder is not None:
            if not TYPE[post.holder.kind].agency:
                return
            self.let_go(post.holder, "end of assignment (post filled)", vacate=False)
            post.holder = None
        newly = self._recruit_kind() < self.scenario.recruitment.newly_qualified_share
        self.hire(post.index, NEWLY_QUALIFIED if newly else EXPERIENCED)
        self.sim.unallocated.capacity_changed()

    def _agency_starts(self, post: Post, token: int) -> None:
        if post.agency_due != token:
            return  # withdrawn: the post's interim came another way
        post.agency_due = 0
        if post.holder is None:
            self.hire(post.index, AGENCY)
            self.sim.unallocated.capacity_changed()

    def duty_worker(self, day: int) -> Worker | None:
        """Today's duty worker: the rota's turn, or the next one present (None: nobody)."""
        team = self.in_post
        n = len(team)
        for k in range(n):
            w = team[(day + k) % n]
            if w.away is None:
                return w
        return None

    def to_duty(self, task: Task) -> None:
        """Give a triage task to a duty worker; with nobody at work it waits at the front
        door (the referral is recorded as awaiting triage) until someone is.

        The rota puts one worker on duty for every ``triage.team_per_duty_worker`` in
        post (at least one), and referrals take turns round the day's rota: a single duty
        worker for a team of 300 would queue weeks of triage, which no team leader runs.
        """
        day = int(self.env.now)
        on_duty = max(1, len(self.in_post) // self.scenario.triage.team_per_duty_worker)
        worker = self.duty_worker(day) if on_duty == 1 else self._next_on_rota(day, on_duty)
        if worker is None:
            self.front_door.append(task)
        else:
            worker.add_task_tuple(task)

    def _next_on_rota(self, day: int, on_duty: int) -> Worker | None:
        """The next worker at work on today's rota (built once a day), in turn."""
        if self._rota_day != (day, on_duty, len(self.in_post)):
            self._rota_day = (day, on_duty, len(self.in_post))
            picked = (self.duty_worker(day * on_duty + j) for j in range(on_duty))
            self._rota = list(dict.fromkeys(w for w in picked if w is not None))
            self._rota_turn = 0
        rota = self._rota
        for k in range(len(rota)):
            w = rota[(self._rota_turn + k) % len(rota)]
            if w.away is None and w.left_at is None:
                self._rota_turn += k + 1
                return w
        return self.duty_worker(day)  # the whole rota away: the next one present, if any

    # --- the daily tick -----------------------------------------------------------------

    def schedule(self, day: int, action: Callable[[int], None]) -> None:
        """Run ``action(day)`` at the start of working day ``day`` (if within the run)."""
        if day < self.sim.n_days:
            self._due[max(day, int(self.env.now))].append(action)

    def draw_days(self, dist, name: str) -> int:
        if name not in self._samplers:
            self._samplers[name] = Sampler(dist, self.streams.get(name))
        return max(1, int(round(self._samplers[name]())))

    def start(self) -> None:
        self.naas.start()
        self.scheduled.start()
        if self.active:
            self._tick(None)

    def _tick(self, _event) -> None:
        day = int(round(self.env.now))
        self._day(day)
        if day + 1 < self.sim.n_days:
            self.env.call_in(1.0, self._tick)

    def _day(self, day: int) -> None:
        sc = self.scenario
        ab = sc.absence
        if day > 0:  # the evening of the day that just ended comes first
            self.hours.evening(list(self.in_post), day - 1)
        unpaid_at_full = sc.overtime.unpaid_hours_at_full_pressure  # no evenings: 0 h anyway
        for w in list(self.in_post):
            if w.away is not None and day >= w.away_until:
                w.come_back()
                self.cover.back(w)
        while self._due.get(day):  # actions may schedule more for today
            for action in self._due.pop(day):
                action(day)
        asye = sc.workforce.asye_days
        perm = getattr(sc.workforce, EXPERIENCED)
        absence, turnover, per_day = self.absence, self._turnover, self._leaving_per_day
        threshold = ab.pressure_threshold
        leaving_effect = sc.recruitment.leaving_pressure_effect
        for w in list(self.in_post):
            if w.kind in _PROTECTED and day >= w.joined_at + asye:
                rate = sc.team.contract_day_hours * w.fte * (1 - perm.non_case_fraction)
                w.new_terms(EXPERIENCED, perm.caseload_cap * w.fte, rate, perm.day_cost_gbp)
            if w.post < 0 or w.left_at is not None:
                continue
            p = pressure(w, ab, unpaid_at_full)
            m_leave = pressure_multiplier(p, threshold, leaving_effect)
            if turnover[w.post]() < per_day[w.kind] * m_leave:
                self.let_go(w, "left (turnover)")
                continue
            m_sick = pressure_multiplier(p, threshold, ab.sickness_pressure_effect)
            sick = absence.sickness_today(w.post, m_sick, present=w.away is None)
            if w.away is None:
                if sick:
                    w.go_away("sick", day + sick)
                    absence.put_off_leave(w.post, day)
                elif length := absence.leave_today(w.post, day):
                    w.go_away("leave", day + length)
            else:
                absence.put_off_leave(w.post, day)
        for w in list(self.in_post):
            if w.away is not None and w.left_at is None:
                for task in w.take_duty_tasks():  # triage does not wait for their return
                    self.to_duty(task)
                self.cover.apply(w, day)
        if self.front_door and self.duty_worker(day) is not None:
            waiting, self.front_door = self.front_door, []
            for task in waiting:
                self.to_duty(task)
        limit = sc.allocation.close_unallocated_after_days
        if limit is not None:
            for case in self.sim.unallocated.remove_if(lambda c: day - c.waiting_since >= limit):
                self.sim.close_unworked(case)
        self.sim.unallocated.capacity_changed()
