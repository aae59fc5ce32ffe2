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

Once a day (a callback at the start of each working day) this module brings
people back, applies leave, sickness and leaving, NAAS and cover, closes cases
left waiting too long where the scenario says so, and records who was present,
away or vacant and what the day cost. With none of these mechanisms switched on
the team is fixed and no daily event is scheduled at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..distributions import Sampler
from ..scenario import WORKER_TYPES
from ..streams import Streams
from .absence import WORKING_DAYS_PER_YEAR, Absence, Uniforms, pressure, pressure_multiplier
from .allocation import BoardedWorker
from .cover import Cover
from .naas import Naas
from .worker import Worker

if TYPE_CHECKING:
    from .simulation import Simulation


DAILY_TEAM_COLUMNS = (
    "workers",
    "fte_present",
    "fte_leave",
    "fte_sick",
    "fte_naas",
    "fte_vacant",
    "fte_agency",
    "contract_hours",
    "case_hours_available",
    "staff_cost",
    "agency_premium",
)


class Post:
    __slots__ = ("index", "target", "holder", "recruiting", "agency_due")

    def __init__(self, index: int, target: str) -> None:
        self.index, self.target = index, target
        self.holder: Worker | None = None
        self.recruiting = False
        self.agency_due = False


class Workforce:
    def __init__(self, sim: Simulation, streams: Streams) -> None:
        self.sim, self.env, self.ledger = sim, sim.env, sim.ledger
        sc = self.scenario = sim.scenario
        self.streams = streams
        self.in_post: list[Worker] = []  # everyone working in the team now (live list)
        self.everyone: list[Worker] = []  # everyone who ever did, for the records
        self.posts: list[Post] = []
        self._due: dict[int, list[Callable[[int], None]]] = defaultdict(list)
        self._samplers: dict[str, Sampler] = {}
        self.naas_cost_today = 0.0
        self._recruit_kind = Uniforms(streams.get("recruitment.newly_qualified"))
        team = sc.team
        kinds = (
            ["permanent"] * team.permanent
            + ["newly_qualified"] * team.newly_qualified
            + ["agency"] * team.agency
        )
        for kind in kinds:
            post = self._new_post("agency" if kind == "agency" else "permanent")
            self.hire(post.index, kind, ramp=False)
        self.absence = Absence(sc.absence, streams, len(kinds) + team.vacant, sim.n_days)
        self.cover = Cover(sc.cover, self)
        self.naas = Naas(sc.naas, self, streams)
        self._turnover = {
            p.index: Uniforms(streams.get(f"turnover.post{p.index}")) for p in self.posts
        }
        for _ in range(team.vacant):
            post = self._new_post("permanent")
            self._turnover[post.index] = Uniforms(streams.get(f"turnover.post{post.index}"))
            self._vacate(post, 0)
        staffed = [k for k in WORKER_TYPES if getattr(team, k) > 0]
        rates = [getattr(sc.workforce, k).leaving_rate_per_year for k in staffed]
        self.active = (
            self.absence.active
            or self.naas.active
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
            self.ledger,
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
        self.everyone.append(w)
        self.in_post.append(w)
        if post >= 0:
            self.posts[post].holder = w
        return w

    def let_go(self, worker: Worker, reason: str) -> None:
        """A worker leaves: cases back on the list, duty work to the rota, post vacant."""
        for case in list(worker.held):
            self.sim.move_case(case)
        for task in worker.leave_job(reason):
            if task[5] is not None:  # triage of a referral: the rota does it
                self.duty_worker(int(self.env.now)).add_task_tuple(task)
        self.in_post.remove(worker)
        if worker.post >= 0 and self.posts[worker.post].holder is worker:
            self._vacate(self.posts[worker.post], int(self.env.now))
        self.sim.unallocated.capacity_changed()

    def _vacate(self, post: Post, day: int) -> None:
        post.holder = None
        rec = self.scenario.recruitment
        if not rec.replace_leavers:
            return
        if post.target == "agency":
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
        if post.target != "agency":
            agency = sum(1 for w in self.in_post if w.kind == "agency" and w.post >= 0)
            due = sum(1 for p in self.posts if p.agency_due)
            cap = self.scenario.recruitment.agency_cap_share * len(self.posts)
            if agency + due + 1 > cap + 1e-9:
                return
        post.agency_due = True
        delay = self.draw_days(self.scenario.recruitment.agency_fill_days, "recruitment.agency")
        self.schedule(day + delay, lambda d, p=post: self._agency_starts(p))

    def _recruit_starts(self, post: Post) -> None:
        post.recruiting = False
        if post.holder is not None:
            if post.holder.kind != "agency":
                return
            self.let_go(post.holder, "end of assignment (post filled)")
            post.holder = None
        newly = self._recruit_kind() < self.scenario.recruitment.newly_qualified_share
        self.hire(post.index, "newly_qualified" if newly else "permanent")
        self.sim.unallocated.capacity_changed()

    def _agency_starts(self, post: Post) -> None:
        post.agency_due = False
        if post.holder is None:
            self.hire(post.index, "agency")
            self.sim.unallocated.capacity_changed()

    def duty_worker(self, day: int) -> Worker:
        """Today's duty worker: the rota's turn, or the next one present."""
        team = self.in_post
        n = len(team)
        for k in range(n):
            w = team[(day + k) % n]
            if w.away is None:
                return w
        return team[day % n]

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
        if self.active:
            self._tick(None)
        else:
            self._record_fixed_team()

    def _tick(self, _event) -> None:
        day = int(round(self.env.now))
        self._day(day)
        if day + 1 < self.sim.n_days:
            self.env.timeout(1.0).callbacks.append(self._tick)

    def _day(self, day: int) -> None:
        sc = self.scenario
        ab = sc.absence
        for w in list(self.in_post):
            if w.away is not None and day >= w.away_until:
                w.come_back()
                self.cover.back(w)
        while self._due.get(day):  # actions may schedule more for today
            for action in self._due.pop(day):
                action(day)
        asye = sc.workforce.asye_days
        perm = sc.workforce.permanent
        for w in list(self.in_post):
            if w.kind == "newly_qualified" and day >= w.joined_at + asye:
                w.kind = "permanent"
                rate = sc.team.contract_day_hours * w.fte * (1 - perm.non_case_fraction)
                w.set_cap(perm.caseload_cap * w.fte, rate)
                w.day_cost = perm.day_cost_gbp
            if w.post < 0 or w.left_at is not None:
                continue
            p = pressure(w, ab)
            leave_rate = getattr(sc.workforce, w.kind).leaving_rate_per_year
            m_leave = pressure_multiplier(
                p, ab.pressure_threshold, sc.recruitment.leaving_pressure_effect
            )
            if self._turnover[w.post]() < leave_rate / WORKING_DAYS_PER_YEAR * m_leave:
                self.let_go(w, "left (turnover)")
                continue
            if w.away is None:
                m_sick = pressure_multiplier(p, ab.pressure_threshold, ab.sickness_pressure_effect)
                sick = self.absence.sickness_today(w.post, m_sick)
                if sick:
                    w.go_away("sick", day + sick)
                elif length := self.absence.leave_today(w.post, day):
                    w.go_away("leave", day + length)
        for w in list(self.in_post):
            if w.away is not None and w.left_at is None:
                self.cover.apply(w, day)
        limit = sc.allocation.close_unallocated_after_days
        if limit is not None:
            for case in self.sim.unallocated.remove_if(lambda c: day - c.waiting_since >= limit):
                self.sim.close_unworked(case)
        self._record(day)
        self.sim.unallocated.capacity_changed()

    # --- daily records ------------------------------------------------------------------

    def _record(self, day: int) -> None:
        led = self.ledger
        perm_cost = self.scenario.workforce.permanent.day_cost_gbp
        away = {"leave": 0.0, "sick": 0.0, "naas": 0.0}
        present = agency = cost = premium = contract = available = 0.0
        for w in self.in_post:
            if w.kind == "agency":
                agency += w.fte
            if w.away is None:
                present += w.fte
                contract += w.contract_hours_per_day
                available += w.rate * (w.ramp if self.env.now < w.ramp_until else 1.0)
            else:
                away[w.away] += w.fte
                w.days_away[w.away] += 1
            if w.away is None or w.paid_when_absent:
                cost += w.day_cost * w.fte
                if w.kind == "agency":
                    premium += (w.day_cost - perm_cost) * w.fte
        led.workers[day] = len(self.in_post)
        led.fte_present[day] = present
        led.fte_leave[day], led.fte_sick[day], led.fte_naas[day] = (
            away["leave"],
            away["sick"],
            away["naas"],
        )
        led.fte_vacant[day] = sum(1 for p in self.posts if p.holder is None)
        led.fte_agency[day] = agency
        led.contract_hours[day] = contract
        led.case_hours_available[day] = available
        led.staff_cost[day] = cost
        led.agency_premium[day] = premium
        led.naas_cost[day] = self.naas_cost_today
        self.naas_cost_today = 0.0

    def _record_fixed_team(self) -> None:
        """No mechanism changes the team: every day looks like the first."""
        self._record(0)
        for name in DAILY_TEAM_COLUMNS:
            column = getattr(self.ledger, name)
            column[:] = column[0]
