// gatio: the command line's pieces as a library (`gatio doctor` is bin.ts on top of these).
import * as doctorModule from './doctor';
export const { doctor, formatReport, cpuList } = doctorModule;
export type { DoctorReport } from './doctor';
